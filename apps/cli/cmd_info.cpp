// `fbd info`: what this build can do and which device `auto` would pick.
#include <cstdio>

#include "apps/cli/command_registry.h"
#include "core/device.h"
#include "layers/conv_cpu.h"
#include "layers/conv_onednn.h"

namespace fbd::app {

namespace {
void register_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print the build configuration and the device that --device auto picks");
  cmd->callback([] {
    std::printf("%s\n", describe_build().c_str());
    const std::string onednn = nn::detail::onednn_version();
    std::printf("CPU convolutions: %s (%s)\n", nn::detail::cpu_conv_backend().c_str(),
                onednn.empty() ? "built without oneDNN"
                               : ("oneDNN " + onednn + " built in; FBD_CPU_CONV=fbd or onednn chooses").c_str());
    std::string note;
    resolve_device("auto", &note);
    std::printf("%s\n", note.c_str());
  });
}

const CommandRegistrar registrar(10, register_info);
}  // namespace

}  // namespace fbd::app
