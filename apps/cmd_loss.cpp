// `fbd loss NAME --pred logits.npy --target mask.npy`: evaluates one loss of LOSSES.md on
// arrays from files, prints its value (or one JSON object with --json) and can write the
// gradient with respect to the logits. A way to poke at the loss kernels from the shell and
// to hold them against another implementation.
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "core/autograd.h"
#include "core/npy.h"
#include "losses/edt.h"
#include "losses/losses.h"
#include "losses/mask.h"

namespace fbd::app {

namespace {

struct LossCmd {
  std::string name;
  std::string pred, target, sdm, weight, grad_out;
  std::string device = "auto";
  bool json = false;
  // Dice
  bool squared = false, batch = false;
  float eps_num = 1e-5f, eps_den = 1e-5f;
  // focal
  float gamma = 2.0f, alpha = 0.25f;
  // compound weights
  float w_dice = 0.5f, w_focal = 0.3f, w_boundary = 0.2f;
  // structure / BCE-boundary
  float lambda_bd = 1.0f;
  bool plain_mean_bce = false;
  // shape-aware
  float beta = 0.01f, o = 1e-8f;
  // distance maps
  std::string spacing = "1,1";
  // multi-class
  bool exclude_background = false;
  std::string class_weights;
};

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names = {
      "dice",    "focal",        "focal-edge",  "bce",         "bce-edge", "boundary", "fbd",         "fbd-naive",
      "bce-iou", "bce-boundary", "compactness", "shape-aware", "dice-mc",  "focal-mc", "boundary-mc", "fbd-mc"};
  return names;
}

bool multi_class(const std::string& n) { return n.size() > 3 && n.compare(n.size() - 3, 3, "-mc") == 0; }

std::vector<float> parse_floats(const std::string& s, const char* what) {
  std::vector<float> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stof(item, &used));
      FBD_CHECK(used == item.size(), "");
    } catch (...) {
      FBD_FAIL("loss: ", what, " must be numbers separated by commas, got '", s, "'");
    }
  }
  return out;
}

Tensor read_array(const std::string& path, const char* what) {
  FBD_CHECK(!path.empty(), "loss: --", what, " is required for this loss");
  return read_npy(path);
}

// The target as a mask of the prediction's geometry (shape (H,W), (N,H,W) or (N,1,H,W) each).
Tensor as_pred_shape(const Tensor& t, const Tensor& pred, const char* what) {
  const MaskGeometry gp = mask_geometry(pred, "loss: pred"),
                     gt = mask_geometry(t, (std::string("loss: ") + what).c_str());
  FBD_CHECK(gp.n == gt.n && gp.h == gt.h && gp.w == gt.w, "loss: pred ", shape_str(pred.shape()), " and ", what, " ",
            shape_str(t.shape()), " differ in shape");
  return t.reshape(pred.shape());
}

Tensor evaluate(const LossCmd& c, const Tensor& z, const Tensor& raw_target, Device dev, float sy, float sx) {
  const std::string& n = c.name;
  FbdOptions fo;
  fo.w_dice = c.w_dice;
  fo.w_focal = c.w_focal;
  fo.w_boundary = c.w_boundary;
  fo.dice = {c.squared, c.batch, c.eps_num, c.eps_den};
  fo.focal = {c.gamma, c.alpha};
  if (multi_class(n)) {
    FBD_CHECK(z.dim() == 4, "loss: ", n, " needs pred of shape (N,K,H,W), got ", shape_str(z.shape()));
    const int K = int(z.size(1));
    SoftmaxLossOptions mo;
    mo.dice = fo.dice;
    mo.gamma = c.gamma;
    mo.include_background = !c.exclude_background;
    if (!c.class_weights.empty()) mo.class_weights = parse_floats(c.class_weights, "--class-weights");
    mo.w_dice = n == "dice-mc" ? 1.0f : (n == "fbd-mc" ? c.w_dice : 0.0f);
    mo.w_focal = n == "focal-mc" ? 1.0f : (n == "fbd-mc" ? c.w_focal : 0.0f);
    mo.w_boundary = n == "boundary-mc" ? 1.0f : (n == "fbd-mc" ? c.w_boundary : 0.0f);
    const Tensor labels = raw_target.to(dev);
    Tensor sdm;
    if (mo.w_boundary != 0.0f)
      sdm = c.sdm.empty() ? class_signed_distance_maps(raw_target, K, sy, sx).to(dev) : read_npy(c.sdm).to(dev);
    return softmax_loss(z, labels, sdm, mo);
  }
  if (n == "compactness") return compactness_loss(z, c.o);
  const Tensor g = as_pred_shape(raw_target, z, "target").to(dev);
  auto sdm = [&] {
    return c.sdm.empty() ? signed_distance_map(g, sy, sx) : as_pred_shape(read_npy(c.sdm), z, "sdm").to(dev);
  };
  auto weight = [&] {
    return c.weight.empty() ? structure_weight(g) : as_pred_shape(read_npy(c.weight), z, "weight").to(dev);
  };
  if (n == "dice") return dice_loss(z, g, fo.dice);
  if (n == "focal") return focal_loss(z, g, fo.focal);
  if (n == "focal-edge") return focal_edge_loss(z, g, fo.focal);
  if (n == "bce") return bce_loss(z, g);
  if (n == "bce-edge") return bce_edge_loss(z, g);
  if (n == "boundary") return boundary_loss(z, sdm());
  if (n == "fbd") return focal_boundary_dice_loss(z, g, sdm(), fo);
  if (n == "fbd-naive") return focal_boundary_dice_loss_naive(z, g, sdm(), fo);
  if (n == "bce-iou") return structure_loss(z, g, weight(), {c.plain_mean_bce});
  if (n == "bce-boundary") return bce_boundary_loss(z, g, weight(), sdm(), {c.lambda_bd, c.plain_mean_bce});
  if (n == "shape-aware") return shape_aware_loss(z, g, {c.beta, 0.0f, c.o});
  FBD_FAIL("loss: unknown loss '", n, "'");
}

void run_loss(const LossCmd& c) {
  const std::vector<float> sp = parse_floats(c.spacing, "--spacing");
  FBD_CHECK(sp.size() == 2, "loss: --spacing takes two numbers dy,dx, got '", c.spacing, "'");
  std::string note;
  const Device dev = resolve_device(c.device, &note);
  const Tensor pred = read_array(c.pred, "pred");
  FBD_CHECK(pred.dtype() == DType::F32, "loss: ", c.pred, ": pred must hold float logits (float32 or float64), got ",
            dtype_name(pred.dtype()));
  const Tensor target = c.name == "compactness" ? Tensor() : read_array(c.target, "target");
  Tensor z = pred.to(dev).detach();
  const bool want_grad = !c.grad_out.empty();
  if (want_grad) z.requires_grad_();
  const Tensor loss = evaluate(c, z, target, dev, sp[0], sp[1]);
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
  auto* cmd = app.add_subcommand("loss", "Evaluate one loss (and its gradient) on .npy arrays");
  std::string names;
  for (const auto& n : loss_names()) names += (names.empty() ? "" : ", ") + n;
  cmd->add_option("name", c->name, "the loss: " + names)->required()->check(CLI::IsMember(loss_names()));
  cmd->add_option("--pred", c->pred, "logits .npy: (H,W), (N,H,W) or (N,1,H,W); (N,K,H,W) for the -mc losses")
      ->required();
  cmd->add_option("--target", c->target,
                  "mask .npy of 0/1 (float32, float64 or uint8), same geometry as pred; class indices for -mc");
  cmd->add_option("--sdm", c->sdm, "signed distance map .npy (default: computed from the target)");
  cmd->add_option("--weight", c->weight, "structure weight map .npy (default: computed from the target)");
  cmd->add_option("--device", c->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--grad-out", c->grad_out, "write dL/dlogits here (.npy, float32, shape of pred)");
  cmd->add_flag("--json", c->json, "print one JSON object (loss, value, device, shape, grad_out)");
  cmd->add_flag("--squared", c->squared, "Dice: squared denominators");
  cmd->add_flag("--batch", c->batch, "Dice: one ratio over the whole batch");
  cmd->add_option("--eps-num", c->eps_num, "Dice numerator smoothing")->capture_default_str();
  cmd->add_option("--eps-den", c->eps_den, "Dice denominator smoothing (> 0)")->capture_default_str();
  cmd->add_option("--gamma", c->gamma, "focal gamma")->capture_default_str();
  cmd->add_option("--alpha", c->alpha, "focal alpha (< 0: off; binary losses only)")->capture_default_str();
  cmd->add_option("--w-dice", c->w_dice, "fbd: Dice weight")->capture_default_str();
  cmd->add_option("--w-focal", c->w_focal, "fbd: focal weight")->capture_default_str();
  cmd->add_option("--w-boundary", c->w_boundary, "fbd: boundary weight")->capture_default_str();
  cmd->add_option("--lambda-bd", c->lambda_bd, "bce-boundary: boundary weight")->capture_default_str();
  cmd->add_flag("--plain-mean-bce", c->plain_mean_bce, "bce-iou, bce-boundary: the public code's plain mean BCE");
  cmd->add_option("--beta", c->beta, "shape-aware: compactness weight")->capture_default_str();
  cmd->add_option("--o", c->o, "compactness: the stabiliser o")->capture_default_str();
  cmd->add_option("--spacing", c->spacing, "pixel spacing dy,dx of the distance maps")->capture_default_str();
  cmd->add_flag("--exclude-background", c->exclude_background, "-mc: leave class 0 out of Dice and boundary");
  cmd->add_option("--class-weights", c->class_weights, "focal-mc, fbd-mc: per-class focal weights a0,a1,...");
  cmd->callback([c] { run_loss(*c); });
}

const CommandRegistrar registrar(40, register_loss);
}  // namespace

}  // namespace fbd::app
