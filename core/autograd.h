// Define-by-run reverse-mode autograd, kept as small as micrograd's.
//
// Each differentiable op, when any input requires grad and grad mode is on, attaches a Node
// to its output: the inputs (for the graph walk) and a backward function that maps the
// gradient of the output to the gradients of the inputs. Tensor::backward() sorts the graph
// topologically, walks it from the output back, sums gradients that meet at a tensor
// (out of place, so a gradient handed to two inputs is never modified), stores the result in
// `.grad()` of the leaves that require grad, and frees each node as soon as it has run.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "core/tensor.h"

namespace fbd {

struct Node {
  using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;
  const char* name = "";
  std::vector<std::shared_ptr<TensorImpl>> inputs;
  BackwardFn backward;  // returns one gradient per input (undefined where none flows)
  bool released = false;

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Tears a dropped graph down iteratively: a chain of 100k ops that is never backpropagated
  // must not free itself through 100k nested destructor calls.
  ~Node();
};

// Grad mode (thread-local): off inside a NoGradGuard, where ops record nothing.
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when an op over `inputs` must record a node.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Makes `out` the result of a recorded op. Saved tensors in `fn` must be detach()ed copies
// (never `out` itself), or the node would own its own output and leak.
void record(Tensor& out, const char* name, std::vector<Tensor> inputs, Node::BackwardFn fn);

// Runs backpropagation from `root` seeded with `grad_root` (same shape as root).
void run_backward(const Tensor& root, const Tensor& grad_root);

}  // namespace fbd
