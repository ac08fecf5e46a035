#!/usr/bin/env bash
# One GPU call of a lease: install the carried fastai wheels, materialize the carried dataset where fastai looks for it,
# then `bench/device_run.py CALL` (call 1: the cuda tests and the user's CIFAR-100 call; call 2: Figure 1, fp16, seeds
# on CIFAR-10). Results land in $OUT. Carry: .whl .data (both git-ignored), each call within 64 MiB:
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
#     --platform manylinux2014_x86_64 --platform any -d .whl fastai==2.8.12 fastcore==2.2.41 fasttransform==0.0.5 \
#     fastdownload==0.0.8 plum-dispatch==2.9.0 beartype==0.23.1 fastprogress==1.0.3
#   mkdir -p .data/tools .data/data && cp ../shared/tools/materialize.py .data/tools/
#   call 1: cp ../shared/data/cifar100_jpeg.npz .data/data/    call 2: cp ../shared/data/cifar10_jpeg.npz .data/data/
# Usage (on the GPU machine): bash bench/device_run.sh 1|2   (dry run here: python bench/device_run.py 1|2 --dry-run)
set -o pipefail
CALL=${1:?call 1 or 2}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg FASTAI_HOME=/tmp/fastai
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
DATA=$([ "$CALL" = 1 ] && echo cifar100 || echo cifar10)
python3 .data/tools/materialize.py $FASTAI_HOME/data --only $DATA >/dev/null || exit 1
python3 bench/device_run.py $CALL --out $OUT --budget-s ${BUDGET_S:-420} 2>&1 | grep -v Warning | tee $OUT/device_run_$CALL.log
