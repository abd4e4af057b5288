#pragma once

#include <vector>

namespace harmony::test {

// A TCP port on 127.0.0.1 that was free a moment ago: binds port 0, reads the kernel's choice,
// closes. Another process may take it before you do; callers that start servers on it should
// retry with a new port on "address already in use". Aborts with a message if no socket can be
// bound (a broken test environment).
int FreePort();

// `count` distinct free ports (all bound at once before being released).
std::vector<int> FreePorts(int count);

}  // namespace harmony::test
