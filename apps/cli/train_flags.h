// The training options shared by fbd train, crossval, compare and demo.
#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "apps/train/run_config.h"

namespace fbd::app {

struct TrainFlags {
  RunConfig c;
  std::string weights = "0.5,0.3,0.2";
  std::string loss = "default";   // --loss: "default" is the network's own (NetInfo::default_loss)
  double lr = 0;                  // --lr: 0 is the network's own (NetInfo::default_lr)
  std::string slice_axis = "auto";  // --slice-axis
  const CLI::App* cmd = nullptr;  // the command the flags were added to (which flags were given)
};

// --preset paper: the settings the paper states (apps/cli/train_flags.cpp lists them; docs/PAPER.md
// says where each comes from and what fbd chose where the paper is silent).
constexpr int kPaperEpochs = 100;
constexpr double kPaperTestFraction = 2.0 / 3;  // 10 training and 20 test patients of 30

// True when `flag` (e.g. "--epochs") was given on the command line of f.cmd.
bool flag_given(const TrainFlags& f, const std::string& flag);

// Adds --net, --loss, --weights, --beta, --eta, --epochs, --batch, --size, --lr, --width, --blocks, --bam-stage,
// --fusion, --device, --seed, --workers, --augment, --no-quadrants, --test-fraction, --split, --preset
// to `cmd`.
void add_train_flags(CLI::App* cmd, const std::shared_ptr<TrainFlags>& f, bool with_net_and_loss = true);
// Every network of the registry, one line each (name, description, paper, default loss): the
// help footer of the commands that take --net or --nets.
std::string networks_help();
// Applies the parsed flags (the --weights list; --loss default becomes the network's own loss
// and --lr left out its own rate, so config.json names what the run trained with; --preset paper
// sets each of its settings that was not given; --split becomes an absolute path) and checks
// the whole configuration.
RunConfig finish_train_flags(const TrainFlags& f);

}  // namespace fbd::app
