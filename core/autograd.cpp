#include "core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "core/ops.h"
#include "core/profiler.h"

namespace fbd {

namespace {
thread_local bool t_grad_enabled = true;
}

Node::~Node() {
  std::vector<std::shared_ptr<TensorImpl>> pending = std::move(inputs);
  while (!pending.empty()) {
    std::shared_ptr<TensorImpl> t = std::move(pending.back());
    pending.pop_back();
    // Where we hold the last reference to t and to its node, adopt that node's inputs before
    // t dies, so its destruction does not recurse.
    if (t && t.use_count() == 1 && t->grad_fn && t->grad_fn.use_count() == 1) {
      for (auto& in : t->grad_fn->inputs) pending.push_back(std::move(in));
      t->grad_fn->inputs.clear();
    }
  }
}

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(Tensor& out, const char* name, std::vector<Tensor> inputs, Node::BackwardFn fn) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) node->inputs.push_back(t.impl_shared());
  node->backward = std::move(fn);
  out.impl_ptr()->grad_fn = std::move(node);
  out.impl_ptr()->requires_grad = true;
}

namespace {

// Tensors reachable from root through grad_fn edges, parents after children (iterative DFS,
// so a deep network cannot overflow the stack). The order owns its tensors: freeing a node's
// edges during the walk must not free a tensor the walk has yet to visit.
std::vector<std::shared_ptr<TensorImpl>> topo_order(const std::shared_ptr<TensorImpl>& root) {
  std::vector<std::shared_ptr<TensorImpl>> order;
  std::unordered_set<TensorImpl*> seen{root.get()};
  std::vector<std::pair<std::shared_ptr<TensorImpl>, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    const Node* node = stack.back().first->grad_fn.get();
    size_t& next = stack.back().second;
    if (node != nullptr && next < node->inputs.size()) {
      const std::shared_ptr<TensorImpl>& child = node->inputs[next++];
      if (child != nullptr && child->requires_grad && seen.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      order.push_back(std::move(stack.back().first));
      stack.pop_back();
    }
  }
  return order;  // root last
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& grad_root) {
  FBD_CHECK(root.requires_grad(),
            "backward: the tensor does not require grad (no parameter or input in its graph does)");
  FBD_CHECK(grad_root.shape() == root.shape(), "backward: gradient shape ", shape_str(grad_root.shape()),
            " does not match the tensor's ", shape_str(root.shape()));
  NoGradGuard no_grad;  // backward functions compute plain tensors; no double backward
  std::vector<std::shared_ptr<TensorImpl>> order = topo_order(root.impl_shared());
  std::unordered_map<TensorImpl*, Tensor> grads;
  grads[root.impl_ptr()] = grad_root;

  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const std::shared_ptr<TensorImpl> owned = std::move(*it);  // released at the end of this step
    TensorImpl* t = owned.get();
    auto g_it = grads.find(t);
    if (g_it == grads.end()) continue;  // no gradient reached this tensor
    Tensor g = std::move(g_it->second);
    grads.erase(g_it);
    Node* node = t->grad_fn.get();
    if (node == nullptr) {  // a leaf: accumulate into .grad
      t->grad = t->grad ? add(Tensor(t->grad), g).impl_shared() : g.impl_shared();
      continue;
    }
    FBD_CHECK(!node->released, "backward through the graph of op '", node->name,
              "' a second time: its saved tensors were freed by the first backward");
    std::vector<Tensor> input_grads;
    {
      profiler::Scope scope(node->name, g.device(), /*backward=*/true);
      input_grads = node->backward(g);
    }
    FBD_CHECK(input_grads.size() == node->inputs.size(), "internal: op '", node->name, "' returned ",
              input_grads.size(), " gradients for ", node->inputs.size(), " inputs");
    for (size_t i = 0; i < input_grads.size(); ++i) {
      TensorImpl* in = node->inputs[i].get();
      if (!input_grads[i].defined() || in == nullptr || !in->requires_grad) continue;
      FBD_CHECK(input_grads[i].shape() == in->shape, "internal: op '", node->name, "' gave a gradient of shape ",
                shape_str(input_grads[i].shape()), " for an input of shape ", shape_str(in->shape));
      auto [slot, inserted] = grads.try_emplace(in, input_grads[i]);
      if (!inserted) slot->second = add(slot->second, input_grads[i]);
    }
    // Free the graph as we go: saved tensors and edges are no longer needed.
    node->backward = nullptr;
    node->inputs.clear();
    node->released = true;
  }
}

void Tensor::backward() const {
  FBD_CHECK(numel() == 1, "backward() without a gradient needs a one-element tensor (a loss), got shape ",
            shape_str(shape()));
  run_backward(*this, Tensor::full(shape(), 1.0f, device()));
}

void Tensor::backward(const Tensor& grad_output) const { run_backward(*this, grad_output); }

}  // namespace fbd
