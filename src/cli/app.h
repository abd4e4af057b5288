// cli: the command-line front end. Parses HarmonyLite's flags (single- and double-dash
// spellings), loads and overrides the config, sets up logging and hands over to node/.
// main.cc only calls RunApp.
#pragma once

namespace harmony::cli {

// Returns the process exit code: 0 on success or clean shutdown, 1 on any failure (after one
// line on stderr saying what and where), 2 on bad usage.
int RunApp(int argc, char** argv);

}  // namespace harmony::cli
