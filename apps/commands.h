// The `fbd` command line: each command registers itself on the CLI11 app from its own file.
#pragma once
#include <CLI/CLI.hpp>

namespace fbd::app {

void register_info(CLI::App& app);
void register_demo(CLI::App& app);

}  // namespace fbd::app
