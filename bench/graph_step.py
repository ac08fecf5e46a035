"""`GraphStep`: a fastai callback that replays each training step (forward, loss, backward, SGD update) as one CUDA graph.

Why: on a GPU a WRN step is only as fast as the CPU can queue its few hundred kernels, and every line of Python the
`Learner` runs per batch adds to that. Replayed as a graph, a step costs the CPU one call, and the GPU's own speed sets
the epoch. Here in `bench/` until a GPU run shows what it gains: `bench/memorize.py` times `run(cbs=GraphStep())`.

What it keeps: the batches the `DataLoader` serves (copied into the graph's input buffers), the learning rate, momentum
and weight decay that fastai's schedule sets on PyTorch's SGD each batch (read into device scalars, so no value is baked
into the graph), SGD's momentum buffers (they are the optimizer's `momentum_buffer` state, so checkpoints hold them),
fastai's `Recorder`/`after_batch` callbacks. The warm-up steps that capture needs are undone. On a CPU the same step
runs eagerly, which is how the tests check it against fastai's own loop.
"""
import torch
from fastai.vision.all import Callback, CancelBatchException, ParamScheduler
from fastai.callback.fp16 import AMPMode


def sgd_(params, grads, bufs, lr, mom, wd=None):
    "PyTorch's SGD update in place (momentum, no dampening, L2 weight decay `wd`), with `lr`, `mom`, `wd` device scalars"
    with torch.no_grad():
        if wd is not None: torch._foreach_add_(grads, torch._foreach_mul(params, wd))
        torch._foreach_mul_(bufs, mom)
        torch._foreach_add_(bufs, grads)
        torch._foreach_add_(params, torch._foreach_mul(bufs, -lr))


def capture(step, state):
    "`step` captured as a CUDA graph, and what it returned while captured; the warm-up capture needs is undone in `state`"
    saved = [t.detach().clone() for t in state]
    s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):  # warm-up that capture needs (cuDNN/cuBLAS workspaces)
        for _ in range(3): step()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g): out = step()
    with torch.no_grad():
        for t, v in zip(state, saved): t.copy_(v)
    return g, out


class GraphStep(Callback):
    "Replay forward, loss, backward and PyTorch's SGD step (momentum, L2 weight decay) as one CUDA graph; eagerly on a CPU"
    order, run_valid = ParamScheduler.order + 1, False  # after the schedule has set this batch's hyper-parameters

    def before_fit(self):
        opt = getattr(self.learn.opt, 'opt', self.learn.opt)
        if not isinstance(opt, torch.optim.SGD) or len(opt.param_groups) != 1:
            raise ValueError(f"GraphStep replays PyTorch's SGD with one parameter group, not {type(opt).__name__} with {len(opt.param_groups)}")
        pg = opt.param_groups[0]
        if pg['nesterov'] or pg['dampening'] or pg['maximize']: raise ValueError("GraphStep replays SGD without nesterov, dampening or maximize")
        mp = getattr(self.learn, 'mixed_precision', None)
        if mp is not None and AMPMode(mp.amp_mode) != AMPMode.BF16: raise ValueError("GraphStep needs bf16 or fp32: fp16 needs a loss scaler")
        self.pg, self.opt_state, self.mp, self.graph, self.shape = pg, opt.state, mp, None, None

    def _setup(self, x, y):
        dev = x.device
        self.params = [p for p in self.pg['params'] if p.requires_grad]
        for p in self.params:  # the graph updates the optimizer's own momentum buffers, so checkpoints save them
            if self.opt_state[p].get('momentum_buffer') is None: self.opt_state[p]['momentum_buffer'] = torch.zeros_like(p)
        self.bufs = [self.opt_state[p]['momentum_buffer'] for p in self.params]
        self.x_in, self.y_in = torch.empty_like(x), torch.empty_like(y)
        self.lr_t, self.mom_t, self.wd_t = (torch.zeros((), device=dev) for _ in range(3))
        self.shape = (x.shape, y.shape)

    def _step(self):
        "One training step on the input buffers: PyTorch's SGD update with lr, momentum and weight decay read on the device"
        with torch.autocast(self.x_in.device.type, dtype=torch.bfloat16, enabled=self.mp is not None, cache_enabled=False):
            pred = self.model(self.x_in).float()
            loss = self.learn.loss_func(pred, self.y_in)
        sgd_(self.params, list(torch.autograd.grad(loss, self.params)), self.bufs, self.lr_t, self.mom_t, self.wd_t)
        return pred.detach(), loss.detach()

    def before_batch(self):
        x, y = self.xb[0], self.yb[0]
        if self.shape is None: self._setup(x, y)
        if (x.shape, y.shape) != self.shape: return  # a batch of another size: fastai's own step
        self.x_in.copy_(x); self.y_in.copy_(y)
        self.lr_t.fill_(self.pg['lr']); self.mom_t.fill_(self.pg['momentum']); self.wd_t.fill_(self.pg['weight_decay'])
        if x.device.type == 'cuda':
            if self.graph is None: self.graph, self.out = capture(self._step, [*self.params, *self.model.buffers(), *self.bufs])
            self.graph.replay(); pred, loss = self.out
        else: pred, loss = self._step()
        self.learn.pred, self.learn.loss_grad, self.learn.loss = pred, loss, loss.clone()
        if self.mp is not None: self.mp.autocast.__exit__(None, None, None)  # the autocast fastai's step would close
        raise CancelBatchException()  # fastai's forward/backward/step are done; after_batch callbacks still run

    def after_fit(self): self.graph = self.out = self.x_in = self.y_in = None
