"State verified before it is believed: every file a run or the image cache writes is checked against its SHA-256 when read; kills at random moments; property tests of argument checks and randomizations"
import json, os, random, signal, subprocess, sys, time, warnings
import numpy as np, pandas as pd, pytest, torch
from hypothesis import given, settings, strategies as st, HealthCheck
from randfit_fai.data import corrupt_labels, randomize_pixels, load_folder, synthetic, _cache_file, _image_files
from randfit_fai.run import run, load_run

SCRIPT = ("import sys; from randfit_fai.run import run; "
          "run('digits', corrupt=0.5, epochs=12, stop_at_fit=False, quiet=True, out=sys.argv[1], name='r', resume=True)")


def _flip(fn, at=0.5):
    "Change one byte in the middle of `fn` (at fraction `at` of its length)"
    b = bytearray(fn.read_bytes()); i = int(len(b) * at); b[i] ^= 0xFF; fn.write_bytes(bytes(b))


def test_a_damaged_checkpoint_is_never_loaded(tmp_path):
    p = subprocess.Popen([sys.executable, '-c', SCRIPT, str(tmp_path)])
    ck = tmp_path / 'r' / 'checkpoint.pth'
    t0 = time.time()
    while not ck.exists() and time.time() - t0 < 60: time.sleep(0.01)
    os.kill(p.pid, signal.SIGKILL); p.wait()
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


def _folder(root):
    "40 + 10 synthetic 8×8 images of 4 classes as PNG files in fastai's layout under `root`"
    from PIL import Image
    src = synthetic(n_train=40, n_test=10, n_classes=4, shape=(3, 8, 8))
    for split, xs, ys in (('train', src.x_train, src.y_train), ('test', src.x_test, src.y_test)):
        for i, (x, y) in enumerate(zip(xs, ys)):
            d = root / split / src.classes[y]; d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(x.permute(1, 2, 0).numpy()).save(d / f'{i}.png')
    return root


def test_a_damaged_image_cache_is_rebuilt_with_a_warning(tmp_path):
    _folder(tmp_path / 'imgs')
    first = load_folder(tmp_path / 'imgs')
    cache = _cache_file(tmp_path / 'imgs', _image_files(tmp_path / 'imgs'), None)
    assert cache.exists()
    _flip(cache, .6)
    with pytest.warns(UserWarning, match='image cache .* is damaged'): again = load_folder(tmp_path / 'imgs')
    assert torch.equal(again.x_train, first.x_train) and (again.y_train == first.y_train).all()
    with warnings.catch_warnings(): warnings.simplefilter('error'); load_folder(tmp_path / 'imgs')  # rebuilt: no warning now


def test_strict_refuses_an_unreadable_image_before_any_folder(tmp_path):
    root = _folder(tmp_path / 'imgs'); (root / 'train' / 'c0' / 'empty.png').write_bytes(b'')
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
    for k in (2, 6, 10, 12):
        p = subprocess.Popen([sys.executable, '-c', SCRIPT, str(out)])
        t0 = time.time()
        while p.poll() is None and time.time() - t0 < 120 and not (csv.exists() and len(csv.read_text().splitlines()) > k): time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.2))
        if p.poll() is None: os.kill(p.pid, signal.SIGKILL); landed += 1
        p.wait()
    assert landed >= 3, f'only {landed} of 4 kills landed while the run was going'
    subprocess.run([sys.executable, '-c', SCRIPT, str(out)], check=True)
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
