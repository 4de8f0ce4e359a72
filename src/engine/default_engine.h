// The default engine as code below the array layer sees it, without creating it.
#pragma once

#include "ndflow/engine.h"

namespace ndflow::detail {

// default_engine() if something has created it already, else null (never creates it).
Engine* default_engine_if_created() noexcept;

}  // namespace ndflow::detail
