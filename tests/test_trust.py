"Runs that notice changed data, never replace a newer version's folder, write valid JSON and say what to do"
import json, os, warnings
from pathlib import Path
import numpy as np, pytest, torch
from randfit_fai.data import digits, load_folder
from randfit_fai.files import NewerRun, RunLock, load_run
from randfit_fai.paper import ImageSet
from randfit_fai.sweeps import sweep
from randfit_fai.training import run

KW = dict(arch='mlp-1x16', epochs=2, quiet=True, stop_at_fit=False)


def test_a_resume_refuses_data_changed_in_one_pixel(tmp_path):
    ds = digits()
    run(data=ds, out=tmp_path, name='r', **KW)
    ds.x_train[100, 0, 4, 4] ^= 1  # one pixel of one image
    with pytest.raises(ValueError, match=r"the images or labels of 'digits' changed since this run began"):
        run(data=ds, out=tmp_path, name='r', resume=True, **KW)


def test_in_memory_data_is_checked_before_a_folder_is_made(tmp_path):
    ds = digits()
    ds.y_train = ds.y_train.astype(float) + 0.5  # changed after it was made
    with pytest.raises(ValueError, match='y_train must hold integer class indices'):
        run(data=ds, out=tmp_path / 'runs', **KW)
    assert not (tmp_path / 'runs').exists()


def _newer(path):
    "Make the finished run in `path` look written by a newer randfit_fai"
    fn = path / 'summary.json'
    s = json.loads(fn.read_text())
    s['version'] = '99.0'
    fn.write_text(json.dumps(s))


def test_a_newer_versions_folder_is_read_by_an_upgrade_only(tmp_path):
    r = run(data=digits(), out=tmp_path, name='r', **KW)
    _newer(r.path)
    before = (r.path / 'summary.json').read_bytes()
    with pytest.raises(NewerRun, match=r'written by randfit_fai 99\.0.*upgrade randfit_fai to read it'): load_run(r.path)
    for kw in (dict(resume=True), dict(resume=True, overwrite=True), dict(overwrite=True)):
        with pytest.raises(NewerRun) as e: run(data=digits(), out=tmp_path, name='r', **kw, **KW)
        assert 'overwrite' not in str(e.value)
    assert (r.path / 'summary.json').read_bytes() == before


def test_a_lock_file_its_holder_removed_is_not_held(tmp_path, monkeypatch):
    "A process that opened `.lock` just before its holder removed it locks a file no other process sees: refused"
    import randfit_fai.files as files
    (tmp_path / 'stale').touch()  # the removed lock file, still open in the late process
    monkeypatch.setattr(files, '_open_lock', lambda path: open(path / 'stale', 'w'))
    with pytest.raises(RuntimeError, match='being written by another process'):
        with RunLock(tmp_path): pass
    (tmp_path / '.lock').touch()  # and beside another process's new lock file, likewise
    with pytest.raises(RuntimeError, match='being written by another process'):
        with RunLock(tmp_path): pass
    monkeypatch.undo()
    with RunLock(tmp_path): pass  # the folder's own lock file: held


def test_a_diverged_summary_is_valid_json(tmp_path):
    r = run(data=digits(), out=tmp_path, arch='mlp-1x16', epochs=3, lr=1e6, quiet=True)
    text = (r.path / 'summary.json').read_text()
    s = json.loads(text, parse_constant=lambda c: pytest.fail(f'{c} in summary.json'))
    assert s['diverged'] or s['not_finite'], s


def test_a_tiny_lr_gets_the_lr_hint(tmp_path):
    s = run(data=digits(), out=tmp_path, lr=1e-12, **KW).summary
    assert 'far below the recipe' in s['hint'], s['hint']


def test_a_repeated_cell_runs_once_and_says_so(tmp_path):
    with pytest.warns(UserWarning, match='repeat another'):
        df = sweep(data=digits(), corrupts=(0.5, 0.5), out=tmp_path, arch='mlp-1x16', epochs=1)
    assert len(df) == 1 and len(list(tmp_path.iterdir())) == 1


def test_dot_records_the_folders_name(tmp_path, monkeypatch):
    from PIL import Image
    d = tmp_path / 'shapes'
    for split in ('train', 'test'):
        for c in ('a', 'b'):
            (d / split / c).mkdir(parents=True)
            Image.fromarray(np.zeros((4, 4), np.uint8)).save(d / split / c / '0.png')
    monkeypatch.chdir(d)
    assert load_folder('.').name == 'shapes'


def test_a_stalled_download_gives_the_offline_advice(tmp_path, monkeypatch):
    "A server that accepts the connection and never answers (a stuck proxy) is abandoned, not waited on"
    import socket, threading
    import randfit_fai.data as data
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen()
    held = []
    threading.Thread(target=lambda: held.append(srv.accept()), daemon=True).start()
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path / 'fastai'))
    monkeypatch.setitem(data.URL_DATASETS, 'cifar10', f'http://127.0.0.1:{srv.getsockname()[1]}/cifar10.tgz')
    monkeypatch.setattr(data, 'DOWNLOAD_TIMEOUT_S', 1)
    said = []
    def get():
        try: data.get_dataset('cifar10')
        except Exception as e: said.append(e)
    th = threading.Thread(target=get, daemon=True)  # a hang fails the test instead of stalling it
    th.start()
    th.join(30)
    srv.close()
    assert not th.is_alive(), 'the download still hangs after 30 s'
    assert isinstance(said[0], FileNotFoundError) and 'offline, put it at' in str(said[0]), said


def _lessons(folder, names):
    folder.mkdir(parents=True)
    nb = dict(cells=[], metadata={}, nbformat=4, nbformat_minor=5)
    for n in names: (folder / n).write_text(json.dumps(nb))
    return folder


def test_student_copies_never_mix(tmp_path):
    from randfit_fai.course import student_copy
    a, b = _lessons(tmp_path / 'a', ['01_x.ipynb', '02_y.ipynb']), _lessons(tmp_path / 'b', ['03_z.ipynb'])
    dest = tmp_path / 'dest'
    with RunLock(dest.mkdir() or dest):  # another copy writing it now: refused, nothing written
        with pytest.raises(RuntimeError, match='being written by another process.*choose another folder'):
            student_copy(a, dest)
    assert not list(dest.glob('*.ipynb'))
    student_copy(a, dest)
    with pytest.raises(FileExistsError): student_copy(b, dest)
    student_copy(b, dest, overwrite=True)  # replaces the lessons whole
    assert sorted(p.name for p in dest.iterdir()) == ['03_z.ipynb']


def test_class_names_differing_only_in_unicode_form_are_named(tmp_path):
    import unicodedata
    from PIL import Image
    for split, c in (('train', 'a'), ('test', 'a'), ('train', unicodedata.normalize('NFC', 'café')),
                     ('test', unicodedata.normalize('NFD', 'café'))):
        (tmp_path / split / c).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / split / c / '0.png')
    with pytest.raises(ValueError, match='only in its Unicode form'): load_folder(tmp_path)


@pytest.mark.slow
def test_every_single_image_replacement_changes_the_fingerprint(cifar10_subset, tmp_path):
    "Real CIFAR-10 images, one at a time replaced by another: the fingerprint a resume compares notices each"
    import random, shutil
    from randfit_fai.config import data_sha256
    root = tmp_path / 'cifar10'
    shutil.copytree(cifar10_subset, root)
    base = data_sha256(load_folder(root))
    files = sorted((root / 'train').rglob('*.jpg'))
    rng = random.Random(0)
    for a, b in (rng.sample(files, 2) for _ in range(20)):
        saved = a.read_bytes()
        a.write_bytes(b.read_bytes())
        assert data_sha256(load_folder(root)) != base, (a, b)
        a.write_bytes(saved)
    assert data_sha256(load_folder(root)) == base
