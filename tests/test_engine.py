"Engine: precision and CUDA-graph steps follow native bf16; graph steps resume exactly"
import numpy as np, pytest, torch
from randfit_fai.engine import native_bf16, use_graph, set_precision
from randfit_fai.training import run


class _FakeLearner:
    "What `set_precision` touches of a `Learner`, recording the calls"
    def __init__(self, conv=False): self.model, self.calls = torch.nn.Conv2d(3, 3, 1) if conv else torch.nn.Linear(2, 2), []
    def to_bf16(self): self.calls.append('bf16')
    def to_fp16(self): self.calls.append('fp16')
    def add_cb(self, cb): self.calls.append(type(cb).__name__)


@pytest.mark.parametrize('native', [False, True], ids=['T4 (7.5, bf16 emulated)', 'A100/H100/H200 (8.0+)'])
def test_precision_and_graph_steps_follow_native_bf16(monkeypatch, native):
    "A T4 reports bf16 as supported through emulation: it gets fp16 with loss scaling and eager steps, not bf16 and graphs"
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda including_emulation=True: native or including_emulation)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda device=None: 'Tesla T4' if not native else 'NVIDIA H200')
    cuda = torch.device('cuda')
    assert native_bf16(cuda) is native and use_graph(cuda) is native
    learn = _FakeLearner(conv=True)
    assert set_precision(learn, cuda) == ('bf16' if native else 'fp16')
    assert learn.calls == ['bf16' if native else 'fp16', 'ChannelsLast']
    if not native:
        with pytest.raises(ValueError, match='graph=True needs native bf16, which Tesla T4 lacks'): use_graph(cuda, True)
    assert set_precision(_FakeLearner(), torch.device('cpu')) == 'fp32' and not native_bf16('cpu')


def test_graph_step_resumes_exactly(tmp_path, disconnect_after):
    "`GraphStep`'s momentum buffers are the optimizer's state, so a checkpoint holds them (on a CPU it steps eagerly)"
    DisconnectAfter, Disconnect = disconnect_after
    kw = dict(corrupt=1.0, epochs=4, stop_at_fit=False, quiet=True, out=tmp_path, graph=True)
    whole = run('digits', name='whole', **kw).history
    with pytest.raises(Disconnect): run('digits', name='cut', cbs=DisconnectAfter(2), **kw)
    resumed = run('digits', name='cut', resume=True, **kw)
    assert resumed.summary['graph'] and resumed.summary['resumed_at_epoch'] == 2
    assert np.allclose(resumed.history.train_loss, whole.train_loss, rtol=1e-5, atol=0)


@pytest.mark.parametrize('native', [False, True], ids=['CPU without bf16 units', 'CPU with AMX or AVX512-BF16'])
def test_cpu_precision_follows_native_bf16_and_the_step_size(monkeypatch, native):
    "bf16 on a CPU only where it computes bf16 natively and a step is large enough; fp32 or bf16 when asked, either way"
    import randfit_fai.engine as engine
    from randfit_fai.config import RunConfig
    from randfit_fai.data import digits
    from randfit_fai.training import plan_run
    monkeypatch.setattr(engine, 'cpu_bf16', lambda: native)
    ds = digits()
    big = dict(arch='mlp-1x2048', bs=256, device='cpu')  # ~230 MFLOP a step, above BF16_MIN_MFLOPS
    assert plan_run(RunConfig(**big), ds).precision == ('bf16' if native else 'fp32')
    assert plan_run(RunConfig(device='cpu'), ds).precision == 'fp32'  # the digits MLP: 3.6 MFLOP a step
    for asked in ('fp32', 'bf16'): assert plan_run(RunConfig(**big, precision=asked), ds).precision == asked
    with pytest.raises(ValueError, match="unknown precision 'fp16'"): RunConfig(precision='fp16')


def test_a_bf16_cpu_run_records_it_and_fits_random_labels_as_fp32_does(tmp_path):
    "Memorization holds in bf16: the digits' random labels fit within a few epochs of fp32's, test accuracy at chance"
    runs = {p: run('digits', corrupt=1.0, precision=p, out=tmp_path, quiet=True, device='cpu') for p in ('fp32', 'bf16')}
    s32, s16 = runs['fp32'].summary, runs['bf16'].summary
    assert (s32['precision'], s16['precision']) == ('fp32', 'bf16') and s16['config']['precision'] == 'bf16'
    assert s16['fitted'] and abs(s16['fit_epoch'] - s32['fit_epoch']) <= 5, (s16['fit_epoch'], s32['fit_epoch'])
    assert s16['final_test_acc'] < 0.2 and s16['labels_sha1'] == s32['labels_sha1']


@pytest.mark.slow
def test_bf16_fits_random_labels_on_real_cifar10_as_fp32_does(cifar10_subset, tmp_path):
    "On 1,000 real CIFAR-10 images an MLP fits random labels in bf16 within a few epochs of fp32, test at chance"
    kw = dict(corrupt=1.0, arch='mlp-1x512', out=tmp_path, quiet=True, device='cpu')
    s32, s16 = (run(str(cifar10_subset), precision=p, **kw).summary for p in ('fp32', 'bf16'))
    assert s32['fitted'] and s16['fitted'] and abs(s16['fit_epoch'] - s32['fit_epoch']) <= 5, (s16['fit_epoch'], s32['fit_epoch'])
    assert s16['final_test_acc'] < 0.15 and s32['final_test_acc'] < 0.15
