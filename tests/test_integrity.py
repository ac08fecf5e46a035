"State verified before it is believed: every file a run or the image cache writes is checked against its SHA-256 when read; runs killed (SIGKILL) at chosen and random moments resume exactly; planted pickles never run; property tests of argument checks and randomizations"
import json, random, subprocess, warnings
import numpy as np, pandas as pd, pytest, torch
from hypothesis import given, settings, strategies as st, HealthCheck
from randfit_fai.paper import corrupt_labels, randomize_pixels
from randfit_fai.data import load_folder, synthetic, cache_file, image_files
from randfit_fai.files import load_run
from randfit_fai.training import run
from conftest import start_run, kill_when, has_rows, image_folder


def _flip(fn, at=0.5):
    "Change one byte in the middle of `fn` (at fraction `at` of its length)"
    b = bytearray(fn.read_bytes()); i = int(len(b) * at); b[i] ^= 0xFF; fn.write_bytes(bytes(b))


def test_a_damaged_checkpoint_is_never_loaded(tmp_path):
    ck = tmp_path / 'r' / 'checkpoint.pth'
    kill_when(start_run(tmp_path, 12), ck.exists, timeout=60)
    _flip(ck)
    with pytest.raises(RuntimeError, match=r"checkpoint.pth is not a checkpoint randfit_fai can read safely \(ValueError: its bytes do not match"):
        run('digits', corrupt=0.5, epochs=12, stop_at_fit=False, quiet=True, out=tmp_path, name='r', resume=True)


def test_damaged_or_edited_results_are_refused(tmp_path):
    r = run('digits', corrupt=1.0, epochs=3, quiet=True, out=tmp_path, name='r', first_fit=True)
    assert set(r.summary['files']) == {'history.csv', 'first_fit_epoch.npy'}
    assert load_run(r.path).summary == r.summary and not list(r.path.glob('*.tmp*'))
    again = lambda: run('digits', corrupt=1.0, epochs=3, quiet=True, out=tmp_path, name='r', first_fit=True, resume=True)
    h = (r.path / 'history.csv').read_text()
    (r.path / 'history.csv').write_text(h[:len(h) // 2])  # truncated
    for f in (lambda: load_run(r.path), again):
        with pytest.raises(ValueError, match='history.csv is damaged or missing.*overwrite=True'): f()
    (r.path / 'history.csv').write_text(h)
    _flip(r.path / 'first_fit_epoch.npy', .9)
    with pytest.raises(ValueError, match='first_fit_epoch.npy is damaged'): again()
    s = json.loads((r.path / 'summary.json').read_text()); s['final_test_acc'] = 0.9
    (r.path / 'summary.json').write_text(json.dumps(s))
    with pytest.raises(ValueError, match='summary.json does not match its SHA-256'): load_run(r.path)
    (r.path / 'summary.json').write_text('{"trunc')
    with pytest.raises(ValueError, match='summary.json is damaged'): load_run(r.path)


def test_a_damaged_image_cache_is_rebuilt_with_a_warning(tmp_path):
    image_folder(tmp_path / 'imgs')
    first = load_folder(tmp_path / 'imgs')
    cache = cache_file(tmp_path / 'imgs', image_files(tmp_path / 'imgs'), None)
    assert cache.exists()
    _flip(cache, .6)
    with pytest.warns(UserWarning, match='image cache .* is damaged'): again = load_folder(tmp_path / 'imgs')
    assert torch.equal(again.x_train, first.x_train) and (again.y_train == first.y_train).all()
    with warnings.catch_warnings(): warnings.simplefilter('error'); load_folder(tmp_path / 'imgs')  # rebuilt: no warning now


def test_strict_refuses_an_unreadable_image_before_any_folder(tmp_path):
    root = image_folder(tmp_path / 'imgs'); (root / 'train' / 'c0' / 'empty.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty.png.*strict=True'): run(str(root), strict=True, out=tmp_path / 'runs', quiet=True)
    assert not (tmp_path / 'runs').exists()
    cli = subprocess.run(['randfit', '--dataset', str(root), '--strict', '--out', str(tmp_path / 'cli')], capture_output=True, text=True)
    assert cli.returncode != 0 and 'strict=True' in cli.stderr and 'Traceback' not in cli.stderr and not (tmp_path / 'cli').exists()
    with pytest.warns(UserWarning, match='1 image.*could not be read'):
        r = run(str(root), epochs=1, arch='mlp-1x64', out=tmp_path / 'runs', quiet=True)
    assert r.summary['n_skipped'] == 1


def test_kills_at_random_moments_lose_at_most_the_epoch_in_progress(tmp_path):
    "SIGKILL at random moments after epoch k ends (mid-epoch, mid-write, between the last checkpoint and the summary); the resumed run equals an uninterrupted one"
    ref = run('digits', corrupt=0.5, epochs=12, stop_at_fit=False, quiet=True, out=tmp_path / 'ref', name='r')
    out, rng, landed = tmp_path / 'killed', random.Random(0), 0
    csv = out / 'r' / 'history.csv'
    for k in (2, 6, 10, 12): landed += kill_when(start_run(out, 12), has_rows(csv, k), delay=rng.uniform(0, 0.2))
    assert landed >= 3, f'only {landed} of 4 kills landed while the run was going'
    assert start_run(out, 12).wait() == 0
    r = load_run(out / 'r')
    cols = [c for c in r.history.columns if not c.endswith('_s')]
    assert (r.history[cols].values == ref.history[cols].values).all(), 'the resumed run trains exactly as the uninterrupted one'
    assert r.summary['labels_sha1'] == ref.summary['labels_sha1'] and not list((out / 'r').glob('*.tmp*'))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kw=st.one_of(
    st.builds(dict, corrupt=st.one_of(st.floats(allow_nan=True).filter(lambda v: not 0 <= v <= 1), st.text(max_size=3))),
    st.builds(dict, seed=st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32), st.floats(allow_nan=True))),
    st.builds(dict, epochs=st.one_of(st.integers(max_value=0), st.floats(allow_nan=True).filter(lambda v: v != int(v) if np.isfinite(v) else True))),
    st.builds(dict, lr=st.one_of(st.floats(max_value=0), st.just(float('inf')), st.just(float('nan')))),
    st.builds(dict, bs=st.integers(max_value=0))))
def test_bad_numbers_are_refused_by_name_before_any_folder(tmp_path, kw):
    out = tmp_path / 'runs'
    with pytest.raises((ValueError, TypeError)) as e: run('digits', out=out, quiet=True, **kw)
    (k, v), = kw.items()
    assert k in str(e.value) and out.exists() is False, (kw, str(e.value))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(10, 400), k=st.integers(2, 20), p=st.floats(0, 1), seed=st.integers(0, 2**32 - 1), noise=st.sampled_from(['zhang', 'flip', 'pair']))
def test_label_corruption_is_a_function_of_its_seed(n, k, p, seed, noise):
    y = np.arange(n) % k
    np.random.seed(seed % 7); torch.manual_seed(seed % 5); random.seed(1)
    a = corrupt_labels(y, k, p, seed=seed, noise=noise)
    np.random.seed(123); torch.manual_seed(321); random.seed(2)  # other global states: the same draw
    b = corrupt_labels(y, k, p, seed=seed, noise=noise)
    assert (a == b).all() and a.min() >= 0 and a.max() < k
    changed = (a != y).mean()
    expect = p * ((k - 1) / k if noise == 'zhang' else 1)
    assert abs(changed - expect) <= 5 * np.sqrt(max(expect * (1 - expect), 1e-3) / n) + 1e-9, (changed, expect)


@settings(max_examples=20, deadline=None)
@given(how=st.sampled_from(['shuffled_pixels', 'random_pixels', 'gaussian']), seed=st.integers(0, 2**31))
def test_pixel_randomizations_are_functions_of_their_seed(how, seed):
    g = torch.Generator().manual_seed(1)
    xtr, xte = torch.randint(0, 256, (6, 3, 4, 4), generator=g, dtype=torch.uint8), torch.randint(0, 256, (3, 3, 4, 4), generator=g, dtype=torch.uint8)
    torch.manual_seed(seed % 11); a = randomize_pixels(xtr, xte, how, seed=seed)
    torch.manual_seed(99); np.random.seed(5); b = randomize_pixels(xtr, xte, how, seed=seed)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    if how != 'gaussian':  # a permutation of each image's own pixels, per channel position
        assert torch.equal(a[0].flatten(2).sort(-1).values, xtr.flatten(2).sort(-1).values)


def kill_after_rows(out, k):
    "Start the 30-epoch run, SIGKILL it once history.csv has at least `k` rows; return the CSV text it left"
    csv = out / 'r' / 'history.csv'
    kill_when(start_run(out, 30), has_rows(csv, k))
    return csv.read_text()


def test_resume_after_sigkill(tmp_path):
    ref = run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=tmp_path / 'ref', name='r')
    out = tmp_path / 'killed'
    before = [kill_after_rows(out, k) for k in (2, 9, 20)]
    assert not (out / 'r' / 'summary.json').exists(), 'the kills must land before the run finished'
    assert start_run(out, 30).wait() == 0
    final = (out / 'r' / 'history.csv').read_text()
    for text in before:
        assert final.startswith(text), 'rows written before a kill are kept byte for byte'
    s = json.loads((out / 'r' / 'summary.json').read_text())
    assert s['labels_sha1'] == ref.summary['labels_sha1'] and s['resumed_at_epoch'] >= 20
    h = pd.read_csv(out / 'r' / 'history.csv')
    cols = [c for c in h.columns if not c.endswith('_s')]  # all but the timings
    assert len(h) == 30 and (h[cols].values == ref.history[cols].values).all(), 'the resumed run trains exactly as the uninterrupted one'


class Plant:
    "A pickle that would write `marker` when unpickled by a loader that runs code"
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (open, (self.marker, 'w'))


def test_a_planted_checkpoint_is_refused_not_executed(tmp_path):
    folder = tmp_path / 'runs' / 'planted'; folder.mkdir(parents=True)
    torch.save({'epoch': 1, 'model': Plant(tmp_path / 'pwned')}, folder / 'checkpoint.pth')
    with pytest.raises(RuntimeError, match='checkpoint.pth is not a checkpoint randfit_fai can read safely'):
        run('digits', corrupt=1.0, epochs=2, name='planted', resume=True, out=tmp_path / 'runs', quiet=True)
    assert not (tmp_path / 'pwned').exists()


def test_a_planted_image_cache_is_rebuilt_not_executed(tmp_path):
    src = synthetic(n_train=40, n_test=10, n_classes=4, shape=(3, 8, 8))
    root = image_folder(tmp_path / 'data', src)
    cache = cache_file(root, image_files(root), None)
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save({'x_train': Plant(tmp_path / 'pwned')}, cache)
    ds = load_folder(root)
    assert not (tmp_path / 'pwned').exists()
    as_set = lambda xs, ys: {(x.numpy().tobytes(), int(y)) for x, y in zip(xs, ys)}
    assert as_set(ds.x_train, ds.y_train) == as_set(src.x_train, src.y_train), 'decoded again from the images'


@pytest.mark.parametrize('stop_at_fit', [True, False])
def test_a_run_stopped_after_its_last_checkpoint_resumes_to_the_same_result(tmp_path, stop_at_fit):
    "Killed after training ended but before summary.json: resuming trains no further and returns the uninterrupted result"
    from fastai.vision.all import Callback
    class LostBeforeSummary(Callback):
        order = 100
        def after_fit(self): raise KeyboardInterrupt('lost before the summary')
    kw = dict(corrupt=1.0, epochs=6 if not stop_at_fit else 100, stop_at_fit=stop_at_fit, quiet=True, out=tmp_path)
    whole = run('digits', name='whole', **kw)
    with pytest.raises(KeyboardInterrupt): run('digits', name='cut', cbs=LostBeforeSummary(), **kw)
    assert (tmp_path / 'cut' / 'checkpoint.pth').exists() and not (tmp_path / 'cut' / 'summary.json').exists()
    resumed = run('digits', name='cut', resume=True, **kw)
    cols = [c for c in whole.history.columns if not c.endswith('_s')]
    assert resumed.history[cols].equals(whole.history[cols]) and resumed.summary['fit_epoch'] == whole.summary['fit_epoch']
    assert not list((tmp_path / 'cut').glob('*.tmp*'))
