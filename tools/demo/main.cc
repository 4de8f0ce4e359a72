// ndflow-demo: the chapters' experiments as a report with timelines (see cli.h, --help).
#include <string>
#include <vector>

#include "tools/demo/cli.h"

int main(int argc, char** argv) {
  return ndflow::demo::demo_main(std::vector<std::string>(argv + 1, argv + argc));
}
