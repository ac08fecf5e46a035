#!/usr/bin/env bash
# One GPU lease: install the carried fastai wheels, materialize CIFAR-10 from the carried archive, run the CUDA tests,
# the quick benchmark and the recipe comparison. Results land in $OUT. Carry: .whl .data
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 MPLBACKEND=Agg
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 .data/tools/materialize.py /tmp/d --only cifar10 >/dev/null
python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tail -15 | tee $OUT/cuda_tests.log
python3 bench/memorize.py --data /tmp/d/cifar10 --quick --out $OUT/quick.json 2>&1 | tee $OUT/quick.log | grep -v Warning
python3 bench/recipes.py --data /tmp/d/cifar10 --out $OUT/recipes.json --budget_s ${RECIPE_BUDGET:-200} 2>&1 | tee $OUT/recipes.log | grep -v Warning
