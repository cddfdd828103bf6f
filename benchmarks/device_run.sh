#!/bin/bash
# Issue 17 item 7 on a lent GPU machine: `lpgnas fit` epoch ratios and peak GPU memory on Cora and
# PubMed, and where a CUDA search syncs. The machine has torch, Lightning and PyG but not
# jsonargparse, and ../shared does not travel; prepare both here first (both paths are ignored):
#   printf '/.whl/\n/.gpu_data/\n' >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux2014_x86_64 -d .whl jsonargparse==4.53.0 docstring_parser==0.18.0 typeshed_client==2.15.0
#   mkdir -p .gpu_data/Planetoid && cp -r ../shared/datasets/Planetoid/{Cora,PubMed} .gpu_data/Planetoid/
# then run `bash benchmarks/device_run.sh` there with carry [".whl", ".gpu_data"] (about 9 minutes).
set -o pipefail
cd "$(dirname "$0")/.." || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD LPGNAS_DATA_ROOT=$PWD/.gpu_data MPLBACKEND=Agg WANDB_MODE=offline PYTHONUNBUFFERED=1
py=$(python3 -c 'import sys; print(sys.executable)')
printf '#!/bin/sh\nexec %s -m lpgnas_pl.entry "$@"\n' "$py" > "$(dirname "$py")/lpgnas" && chmod +x "$(dirname "$py")/lpgnas"
out=${OUT:-/tmp/device_run}; mkdir -p "$out"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc
  python3 -c "import torch, pytorch_lightning as pl, torch_geometric as g; print('torch', torch.__version__, 'lightning', pl.__version__, 'pyg', g.__version__, 'cuda', torch.cuda.is_available())"; } 2>&1 | tee "$out/machine.txt"
timeout 90 python3 -m benchmarks.cuda_syncs --config configs/cora.yaml 2>&1 | tail -40 | tee "$out/syncs_cora.log"
timeout 150 python3 -m benchmarks.fit_epoch --config configs/cora.yaml --accelerator gpu 2>&1 | tee "$out/cora.log" | tail -16
timeout 300 python3 -m benchmarks.fit_epoch --config configs/pubmed.yaml --accelerator gpu 2>&1 | tee "$out/pubmed.log" | tail -16
