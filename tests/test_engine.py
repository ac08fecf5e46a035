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
