// `fbd loss NAME --pred logits.npy --target mask.npy`: evaluates one loss of the registry
// (losses/loss_registry.h) on arrays from files, prints its value (or one JSON object with
// --json) and can write the gradient with respect to the logits. A way to poke at the loss
// kernels from the shell and to hold them against another implementation. `fbd loss --list`
// prints the registry: every loss, what it reads and which settings it takes.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/cli/command_registry.h"
#include "apps/train/run_config.h"
#include "core/autograd.h"
#include "core/npy.h"
#include "losses/loss_registry.h"
#include "losses/mask.h"

namespace fbd::app {

namespace {

struct LossCmd {
  std::string name;
  std::string pred, target, sdm, weight, grad_out;
  std::string device = "auto";
  std::string spacing = "1,1";
  bool json = false, list = false;
  LossSettings settings;
};

Tensor read_array(const std::string& path, const char* what) {
  FBD_CHECK(!path.empty(), "loss: --", what, " is required for this loss");
  return read_npy(path);
}

// A per-pixel array as a mask of the prediction's geometry (shape (H,W), (N,H,W) or (N,1,H,W) each).
Tensor as_pred_shape(const Tensor& t, const Tensor& pred, const char* what) {
  const MaskGeometry gp = mask_geometry(pred, "loss: pred"),
                     gt = mask_geometry(t, (std::string("loss: ") + what).c_str());
  FBD_CHECK(gp.n == gt.n && gp.h == gt.h && gp.w == gt.w, "loss: pred ", shape_str(pred.shape()), " and ", what, " ",
            shape_str(t.shape()), " differ in shape");
  return t.reshape(pred.shape());
}

std::string needs_text(unsigned needs) {
  static const std::pair<unsigned, const char*> parts[] = {
      {kNeedsMask, "mask"},     {kNeedsLabels, "labels"},      {kNeedsSdm, "sdm"},
      {kNeedsWeight, "weight"}, {kNeedsClassSdm, "class sdm"}, {kNeedsFeatures, "features"}};
  std::string s;
  for (const auto& [bit, text] : parts)
    if (needs & bit) s += (s.empty() ? "" : ", ") + std::string(text);
  return s.empty() ? "logits only" : s;
}

std::string settings_text(const LossInfo& row) {
  std::string s;
  for (const char* f : row.settings) s += (s.empty() ? "" : " ") + std::string(f);
  return s.empty() ? "-" : s;
}

void print_registry(bool json) {
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const LossInfo& r : loss_registry())
      rows.push_back({{"name", r.name},
                      {"summary", r.summary},
                      {"family", r.family},
                      {"reads", needs_text(r.needs)},
                      {"settings", nlohmann::json(std::vector<std::string>(r.settings.begin(), r.settings.end()))},
                      {"trains", r.trains},
                      {"bytes_per_pixel", r.bytes_per_pixel},
                      {"bytes_per_class_pixel", r.bytes_per_class}});
    std::printf("%s\n", rows.dump().c_str());
    return;
  }
  std::printf("%-13s %-6s %-14s %-26s %s\n", "loss", "trains", "family", "reads", "settings");
  for (const LossInfo& r : loss_registry())
    std::printf("%-13s %-6s %-14s %-26s %s\n", r.name, r.trains ? "yes" : "-", r.family, needs_text(r.needs).c_str(),
                settings_text(r).c_str());
  std::printf("\n");
  for (const LossInfo& r : loss_registry()) std::printf("%-13s %s\n", r.name, r.summary);
}

// A setting given on the command line that the chosen loss does not read is an error, not a
// silent no-op.
void check_settings_used(const CLI::App& cmd, const LossInfo& row) {
  for (const LossSetting& s : loss_settings()) {
    if (cmd.count(s.flag) == 0) continue;
    bool used = false;
    for (const char* f : row.settings) used = used || std::string(f) == s.flag;
    FBD_CHECK(used, "loss: ", row.name, " does not take ", s.flag, " (its settings: ", settings_text(row), ")");
  }
}

void run_loss(const LossCmd& c, const CLI::App& cmd) {
  if (c.list) {
    print_registry(c.json);
    return;
  }
  FBD_CHECK(!c.name.empty(), "loss: name the loss (one of ", join_names(loss_names()), "), or --list");
  const LossInfo& row = find_loss(c.name);
  check_settings_used(cmd, row);
  const std::vector<float> sp = parse_float_list(c.spacing, "--spacing");
  FBD_CHECK(sp.size() == 2, "loss: --spacing takes two numbers dy,dx, got '", c.spacing, "'");
  std::string note;
  const Device dev = resolve_device(c.device, &note);
  const Tensor pred = read_array(c.pred, "pred");
  FBD_CHECK(pred.dtype() == DType::F32, "loss: ", c.pred, ": pred must hold float logits (float32 or float64), got ",
            dtype_name(pred.dtype()));
  const bool multi_class = (row.needs & kNeedsLabels) != 0;
  FBD_CHECK(!multi_class || pred.dim() == 4, "loss: ", c.name, " needs pred of shape (N,K,H,W), got ",
            shape_str(pred.shape()));
  Tensor z = pred.to(dev).detach();
  const bool want_grad = !c.grad_out.empty();
  if (want_grad) z.requires_grad_();

  LossInputs in;
  in.logits = z;
  if (row.needs & (kNeedsMask | kNeedsLabels | kNeedsSdm | kNeedsWeight | kNeedsClassSdm)) {
    const Tensor raw = read_array(c.target, "target");
    in.target = multi_class ? raw.to(dev) : as_pred_shape(raw, z, "target").to(dev);
  }
  if (!c.sdm.empty())
    (multi_class ? in.class_sdm : in.sdm) =
        multi_class ? read_npy(c.sdm).to(dev) : as_pred_shape(read_npy(c.sdm), z, "sdm").to(dev);
  if (!c.weight.empty()) in.weight = as_pred_shape(read_npy(c.weight), z, "weight").to(dev);
  complete_loss_inputs(row, in, sp[0], sp[1]);

  const Tensor loss = row.compute(in, c.settings);
  const float value = loss.item();
  if (want_grad) {
    loss.backward();
    write_npy(c.grad_out, z.grad().cpu());
  }
  if (c.json) {
    nlohmann::json j;
    j["loss"] = c.name;
    j["value"] = value;
    j["device"] = dev.str();
    j["shape"] = pred.shape();
    j["grad_out"] = want_grad ? nlohmann::json(c.grad_out) : nlohmann::json(nullptr);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s %.9g\n", c.name.c_str(), double(value));
  }
}

void register_loss(CLI::App& app) {
  auto c = std::make_shared<LossCmd>();
  auto* cmd = app.add_subcommand("loss", "Evaluate one loss (and its gradient) on .npy arrays; --list shows them all");
  cmd->add_option("name", c->name, "the loss: " + join_names(loss_names()))->check(CLI::IsMember(loss_names()));
  cmd->add_flag("--list", c->list, "print every loss: what it reads, its settings, whether it trains a network");
  cmd->add_option("--pred", c->pred, "logits .npy: (H,W), (N,H,W) or (N,1,H,W); (N,K,H,W) for the -mc losses");
  cmd->add_option("--target", c->target,
                  "mask .npy of 0/1 (float32, float64 or uint8), same geometry as pred; class indices for -mc");
  cmd->add_option("--sdm", c->sdm,
                  "signed distance map .npy (-mc: one per class, (N,K,H,W); default: computed from the target)");
  cmd->add_option("--weight", c->weight, "structure weight map .npy (default: computed from the target)");
  cmd->add_option("--device", c->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--grad-out", c->grad_out, "write dL/dlogits here (.npy, float32, shape of pred)");
  cmd->add_flag("--json", c->json,
                "print one JSON object (loss, value, device, shape, grad_out); with --list, the table");
  cmd->add_option("--spacing", c->spacing, "pixel spacing dy,dx of the distance maps")->capture_default_str();
  // The loss settings, from the registry's table (a loss rejects the ones it does not read).
  for (const LossSetting& s : loss_settings()) {
    if (s.number != nullptr)
      cmd->add_option(s.flag, c->settings.*s.number, s.help)->capture_default_str();
    else if (s.on != nullptr)
      cmd->add_flag(s.flag, c->settings.*s.on, s.help);
    else
      cmd->add_option(s.flag, c->settings.*s.numbers, s.help)->delimiter(',');
  }
  cmd->callback([c, cmd] {
    FBD_CHECK(c->list || !c->pred.empty(), "loss: --pred is required");
    run_loss(*c, *cmd);
  });
}

const CommandRegistrar registrar(40, register_loss);
}  // namespace

}  // namespace fbd::app
