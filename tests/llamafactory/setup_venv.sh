#!/usr/bin/env bash
# Build the separate virtual environment that holds LLaMA-Factory, for tests/llamafactory.
# LLaMA-Factory pulls torch, so it never enters goldmine's own environment. torch 2.13.0 is a CPU
# wheel these machines keep on disk (pip finds it through the machine's pip config; uv would
# download a multi-GB CUDA build), and torchaudio is only a stub: no audio is ever processed.
# Prints the environment's python on success. Idempotent: an environment that imports is reused.
set -euo pipefail
target=${1:-${GOLDMINE_LLAMAFACTORY_VENV:-$HOME/.cache/goldmine/llamafactory-0.9.5}}
python="$target/bin/python"
if [ -x "$python" ] && DISABLE_VERSION_CHECK=1 "$python" -c "import llamafactory.data" >/dev/null 2>&1; then
  echo "$python"; exit 0
fi
rm -rf "$target"
python3 -m venv "$target"
pip=("$target/bin/pip" install --quiet --disable-pip-version-check)
"${pip[@]}" torch==2.13.0 >&2
"${pip[@]}" --no-deps llamafactory==0.9.5 peft==0.18.1 accelerate==1.11.0 >&2
"${pip[@]}" datasets==4.0.0 transformers==5.6.0 tokenizers==0.22.2 numpy pyyaml pillow sentencepiece \
  tiktoken omegaconf protobuf psutil >&2
site=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
mkdir -p "$site/torchaudio"
echo '"""Stub: goldmine only converts data with LLaMA-Factory; no audio is processed."""' > "$site/torchaudio/__init__.py"
DISABLE_VERSION_CHECK=1 "$python" -c "import llamafactory.data" >&2
echo "$python"
