#!/usr/bin/env bash
# One GPU lease: install the carried fastai wheels, materialize CIFAR-10 from the carried archive, run the CUDA tests,
# the quick benchmarks and the recipe comparison. Results land in $OUT. Carry: .whl .data (both git-ignored).
# Prepare them once on the development machine (the GPU image has torch but not fastai, and no network):
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
#     --platform manylinux2014_x86_64 --platform any -d .whl fastai==2.8.12 fastcore==2.2.41 fasttransform==0.0.5 \
#     fastdownload==0.0.8 plum-dispatch==2.9.0 beartype==0.23.1 fastprogress==1.0.3
#   mkdir -p .data/tools .data/data && cp ../shared/tools/materialize.py .data/tools/ && cp ../shared/data/cifar10_jpeg.npz .data/data/
# If the time-to-fit benchmark fails (e.g. a CUDA-graph step that does not capture), it runs again with eager steps.
set -o pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 .data/tools/materialize.py /tmp/d --only cifar10 >/dev/null
SECONDS=0
python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_sync.py 2>&1 | tail -25 | tee $OUT/cuda_tests.log
echo "cuda tests: $SECONDS s"
python3 bench/cache_read.py --data /tmp/d/cifar10 --out $OUT/cache.json 2>&1 | grep -v Warning | tee $OUT/cache.log
python3 bench/epoch_cost.py --data /tmp/d/cifar10 --quick --out $OUT/epoch.json 2>&1 | grep -v Warning | tee $OUT/epoch.log
python3 bench/time_to_fit.py --data /tmp/d/cifar10 --quick --out $OUT/fit.json 2>&1 | grep -v Warning | tee $OUT/fit.log ||
  python3 bench/time_to_fit.py --data /tmp/d/cifar10 --quick --eager --out $OUT/fit_eager.json 2>&1 | grep -v Warning | tee $OUT/fit_eager.log
echo "quick bench: $SECONDS s"
python3 bench/recipes.py --data /tmp/d/cifar10 --out $OUT/recipes.json --seeds 0 1 2 --budget_s ${RECIPE_BUDGET:-200} 2>&1 | grep -v Warning | tee $OUT/recipes.log
echo "all: $SECONDS s"
