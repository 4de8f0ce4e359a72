// ndflow-info: what the build has and what it sees (see info.h, --help).
#include <string>
#include <vector>

#include "tools/info/info.h"

int main(int argc, char** argv) {
  return ndflow::info::info_main(std::vector<std::string>(argv + 1, argv + argc));
}
