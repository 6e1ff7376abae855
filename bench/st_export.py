"""sentence-transformers' own ONNX export and INT8 quantization of an embedding model, as its users make them:
`SentenceTransformer(folder, backend="onnx")` exports the encoder through Optimum, and
`export_dynamic_quantized_onnx_model` quantizes it with one of Optimum's dynamic presets. Run in the side environment
that has sentence-transformers with Optimum (`.venv-optimum`, made by `make bench-venv`; Optimum pins transformers < 5),
by bench/embed.py. It copies the model folder to OUT (the export writes into the model's folder) and prints a JSON
line: the versions, the preset and the quantized graph's path.

    .venv-optimum/bin/python bench/st_export.py MODEL_DIR OUT_DIR [--isa avx512_vnni|avx512|avx2|arm64]
"""
import argparse, json, shutil
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('model'); ap.add_argument('out')
    ap.add_argument('--isa', default='avx512_vnni', choices=['avx512_vnni', 'avx512', 'avx2', 'arm64'])
    a = ap.parse_args()
    import sentence_transformers, optimum.onnxruntime, onnxruntime
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model
    out = Path(a.out)
    if out.exists(): shutil.rmtree(out)
    shutil.copytree(a.model, out, ignore=shutil.ignore_patterns('onnx', '*.onnx'))
    m = SentenceTransformer(str(out), backend='onnx', device='cpu')     # exports onnx/model.onnx with Optimum
    m.save(str(out))
    export_dynamic_quantized_onnx_model(m, a.isa, str(out))
    q = out/'onnx'/f'model_qint8_{a.isa}.onnx'
    if not q.is_file(): raise SystemExit(f"sentence-transformers wrote no {q}")
    print(json.dumps({'graph': str(q), 'float_graph': str(out/'onnx'/'model.onnx'), 'isa': a.isa,
                      'sentence_transformers': sentence_transformers.__version__, 'onnxruntime': onnxruntime.__version__}))

if __name__ == '__main__':
    main()
