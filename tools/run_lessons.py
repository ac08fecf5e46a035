"""Run the course's lessons, their `slow` cells included, and save their outputs in the notebooks.

The `slow` cells read CIFAR-10, CIFAR-100 and MNIST through fastai's `untar_data`: point `FASTAI_HOME` at a folder whose
`data/` holds them (for example as `../shared/tools/materialize.py FASTAI_HOME/data` writes them). `cuda` cells run only
where there is a GPU. Each notebook records `randfit_fai.RESULTS_VERSION` in its metadata (`randfit.results_version`)
with the device and date; `tests/test_course.py` fails when the package's value moves on, so that a change which alters
what runs compute is followed by new outputs. Cells slower than 2 s are listed with their seconds.

    FASTAI_HOME=DIR python tools/run_lessons.py [nbs/course/01_memorize.ipynb ...]
"""
import json, platform, sys, time
from pathlib import Path
import torch
from nbdev.test import test_nb
import randfit_fai

BAR = '|████'  # what fastprogress prints for a bar outside a notebook

if __name__ == '__main__':
    course = Path(__file__).resolve().parent.parent / 'nbs' / 'course'
    nbs = [Path(a).resolve() for a in sys.argv[1:]] or sorted(course.glob("0*.ipynb"))
    gpu = torch.cuda.is_available()
    device = torch.cuda.get_device_name() if gpu else f'cpu ({platform.machine()}, {torch.get_num_threads()} cores)'
    for nb in nbs:
        t = time.time()
        ok, _ = test_nb(nb, skip_flags=[] if gpu else ['cuda'], force_flags=['slow'] + (['cuda'] if gpu else []), save=True,
                        cell_timing_min=2, do_print=True)
        if not ok: sys.exit(f'{nb} failed: its outputs were not saved')
        d = json.loads(nb.read_text())
        for c in d['cells']:  # progress bars drawn as text (no notebook front end here) are not results
            c['outputs'] = [o for o in c.get('outputs', []) if not (o['output_type'] == 'stream' and BAR in ''.join(o['text']))]
        d['metadata']['randfit'] = dict(results_version=randfit_fai.RESULTS_VERSION, device=device, date=time.strftime('%Y-%m-%d'),
                                        cuda_cells_run=gpu)
        nb.write_text(json.dumps(d, indent=1, ensure_ascii=False) + '\n')
        print(f'{nb.name}: {time.time() - t:.0f} s', flush=True)
