"""How long does `randfit`, as the README runs it, take as a whole process: quiet, and beside one busy process?

Claim measured (the default under 10 s): `randfit` (digits, true and random labels, to 100 % training accuracy) takes at
most 10 s from start to exit on this project's 2-core CPU, quiet or with one busy competing process, because a run of a
network this small computes with one thread; `randfit --threads 2` (PyTorch's default thread count, as randfit ran
before it chose) is timed beside it in the same rounds. Results: `bench/results/cpu-2026-11-30-randfit-time.json`.

Each round runs the four variants (quiet / busy × chosen / 2 threads) one after another, in a new empty folder each time;
the medians over `--rounds` rounds are reported, with each round's ratio of 2 threads to the chosen count.

    python bench/randfit_time.py [--rounds 3] [--out bench/results/cpu-DATE-randfit-time.json]
"""
import argparse, json, os, platform, shutil, statistics, subprocess, tempfile, time
from pathlib import Path
import torch
from common import busy

RANDFIT = shutil.which('randfit')
VARIANTS = [('quiet', []), ('quiet', ['--threads', '2']), ('busy', []), ('busy', ['--threads', '2'])]


def wall_s(args, load):
    "Seconds from starting `randfit ARGS` to its exit, in a new empty folder"
    d = tempfile.mkdtemp()
    with busy(load == 'busy'):
        t = time.perf_counter()
        subprocess.run([RANDFIT, '--out', d, *args], check=True, capture_output=True, cwd=d,
                       env={**os.environ, 'MPLBACKEND': 'Agg'})
        s = time.perf_counter() - t
    shutil.rmtree(d)
    return round(s, 2)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--rounds', type=int, default=3); p.add_argument('--out')
    a = p.parse_args()
    runs = {f"{load}{'_2threads' if args else '_chosen'}": [] for load, args in VARIANTS}
    for i in range(a.rounds):
        for (load, args), k in zip(VARIANTS, runs):
            runs[k].append(wall_s(args, load))
        print(json.dumps({k: v[-1] for k, v in runs.items()}), flush=True)
    res = dict(claim=__doc__.splitlines()[0], rounds=a.rounds, runs_s=runs,
               median_s={k: statistics.median(v) for k, v in runs.items()},
               ratio_2threads_over_chosen={load: [round(x / y, 2) for x, y in zip(runs[f'{load}_2threads'], runs[f'{load}_chosen'])]
                                           for load in ('quiet', 'busy')},
               device=f'cpu ({platform.machine()}, {torch.get_num_threads()} cores)', torch=torch.__version__,
               date=time.strftime('%Y-%m-%d'))
    print(json.dumps(res['median_s']))
    if a.out: Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
