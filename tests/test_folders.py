"Image folders are read as they are, or refused naming the file: image modes, layouts, links"
import os, warnings
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image
from randfit_fai.data import load_folder, image_files


def _save(path, a, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a, mode).save(path) if mode else Image.fromarray(a).save(path)


def _folder(root, n=3, classes=('a', 'b'), grey=True):
    "A small valid folder: n images per class and split"
    rng = np.random.default_rng(0)
    for split in ('train', 'test'):
        for c in classes:
            for i in range(n):
                a = rng.integers(0, 256, (4, 4) if grey else (4, 4, 3), dtype=np.uint8)
                _save(root / split / c / f'{i}.png', a)
    return root


def _load(root, **kw):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter('always')
        ds = load_folder(root, **kw)
    return ds, [str(w.message) for w in said]


def test_16_bit_grey_is_scaled_to_8_bits(tmp_path):
    root = _folder(tmp_path)
    a16 = (np.arange(16, dtype=np.uint16).reshape(4, 4) * 4000 + 100)
    _save(root / 'train' / 'a' / 'x16.png', a16)
    assert Image.open(root / 'train' / 'a' / 'x16.png').mode.startswith('I;16')
    ds, _ = _load(root)
    i = sorted(f for f in image_files(root) if f.startswith('train')).index(os.path.join('train', 'a', 'x16.png'))
    np.testing.assert_array_equal(ds.x_train[i, 0].numpy(), np.round(a16 / 257).astype(np.uint8))
    assert ds.x_train[i].max() < 255  # not clipped to white


def test_float_images_are_refused_by_name_before_decoding(tmp_path):
    root = _folder(tmp_path)
    Image.fromarray(np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)).save(root / 'train' / 'b' / 'f.tif')
    with pytest.raises(ValueError, match=r"f\.tif.*float pixels \(PIL mode 'F'\)"): load_folder(root)
    assert not (root / '.randfit_cache').exists() or not any((root / '.randfit_cache').iterdir())


def test_grey_with_alpha_reads_as_grey(tmp_path):
    root = _folder(tmp_path)
    la = np.dstack([np.full((4, 4), 77, np.uint8), np.full((4, 4), 255, np.uint8)])
    _save(root / 'train' / 'a' / 'la.png', la, 'LA')
    ds, _ = _load(root)
    assert ds.x_train.shape[1] == 1 and (ds.x_train == 77).all(dim=(1, 2, 3)).sum() == 1


def test_grey_and_colour_mixed_names_one_of_each(tmp_path):
    root = _folder(tmp_path)
    _save(root / 'train' / 'b' / 'rgb.png', np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"grey \(1 channel, e\.g\. '.*\.png'\) and colour \(3 channels, e\.g\. '.*rgb\.png'\)"):
        load_folder(root)


def test_a_folder_inside_a_class_folder_is_refused(tmp_path):
    root = _folder(tmp_path)
    _save(root / 'train' / 'a' / 'extra' / 'x.png', np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"extra.*inside the class folder"): load_folder(root)


def test_images_directly_in_train_are_refused(tmp_path):
    root = _folder(tmp_path)
    _save(root / 'train' / 'loose.png', np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"loose\.png.*directly in its split folder"): load_folder(root)


def test_valid_and_test_together_are_refused(tmp_path):
    root = _folder(tmp_path)
    _save(root / 'valid' / 'a' / '0.png', np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"2 test folders, \['test', 'valid'\]"): load_folder(root)


def test_images_outside_the_splits_are_named(tmp_path):
    root = _folder(tmp_path)
    _save(root / 'extra' / 'a' / 'stray.png', np.zeros((4, 4), np.uint8))
    ds, said = _load(root)
    assert len(ds.x_train) == 6 and any('stray.png' in s and 'left out' in s for s in said), said


def test_a_link_loop_reads_each_folder_once(tmp_path):
    root = _folder(tmp_path)
    os.symlink(root / 'train' / 'a', root / 'train' / 'a' / 'again')  # a loop: a/again → a
    ds, said = _load(root)
    assert len(ds.x_train) == 6, len(ds.x_train)
    assert any('already read' in s for s in said), said
