// The `fbd` command line. Each command lives in its own cmd_*.cpp and registers itself with a
// static CommandRegistrar, so adding a command touches no shared file:
//
//   static fbd::app::CommandRegistrar reg(30, [](CLI::App& app) { app.add_subcommand(...); });
//
// `order` sorts the commands in `fbd --help`.
#pragma once
#include <CLI/CLI.hpp>

namespace fbd::app {

using RegisterFn = void (*)(CLI::App& app);

struct CommandRegistrar {
  CommandRegistrar(int order, RegisterFn fn);
};

void register_all_commands(CLI::App& app);

}  // namespace fbd::app
