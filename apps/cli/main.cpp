// fbd: breast-tumour segmentation with the Focal Boundary Dice loss, on a from-scratch engine.
#include <cstdio>
#include <exception>

#include "apps/cli/command_registry.h"

int main(int argc, char** argv) {
  CLI::App app{"fbd: a from-scratch C++/CUDA deep-learning engine for breast-tumour segmentation"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fbd 0.1.0");
  fbd::app::register_all_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {  // fbd::Error and everything else: one line, exit 1
    std::fprintf(stderr, "fbd: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
