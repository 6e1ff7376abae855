"""The baseline a user would reach for without EdgeMIN: Hugging Face Optimum's ONNX Runtime quantizer, run as its
documentation shows (export with `ORTModelForSequenceClassification`, then `ORTQuantizer` with the dynamic
`AutoQuantizationConfig` preset for the CPU's instruction set).

Optimum pins transformers < 4.58 while EdgeMIN uses transformers 5, so this script runs in its own virtual
environment (`make bench` creates `.venv-optimum`); it only writes the quantized ONNX model, which bench/compare.py
then measures exactly as it measures everything else.

    .venv-optimum/bin/python bench/optimum_quantize.py MODEL_DIR OUT_DIR [--isa avx512_vnni|avx512|avx2|arm64]
"""
import argparse, json, time
from importlib import metadata
from pathlib import Path

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('model_dir', help='a saved Hugging Face sequence classifier (safetensors)')
    ap.add_argument('out_dir', help='where model_quantized.onnx and optimum.json are written')
    ap.add_argument('--isa', default='avx512_vnni', choices=['avx512_vnni', 'avx512', 'avx2', 'arm64'])
    ap.add_argument('--per-channel', action='store_true')
    args = ap.parse_args(argv)
    import optimum, onnxruntime
    from optimum.onnxruntime import ORTModelForSequenceClassification, ORTQuantizer
    from optimum.onnxruntime.configuration import AutoQuantizationConfig
    out = Path(args.out_dir); out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    model = ORTModelForSequenceClassification.from_pretrained(args.model_dir, export=True)
    model.save_pretrained(out/'fp32')
    qcfg = getattr(AutoQuantizationConfig, args.isa)(is_static=False, per_channel=args.per_channel)
    path = ORTQuantizer.from_pretrained(out/'fp32').quantize(quantization_config=qcfg, save_dir=out)
    info = dict(onnx=str(Path(path)/'model_quantized.onnx' if Path(path).is_dir() else path), preset=args.isa, per_channel=args.per_channel,
                optimum=metadata.version("optimum"), optimum_onnx=metadata.version("optimum-onnx"), onnxruntime=onnxruntime.__version__, seconds=round(time.perf_counter() - t0, 1))
    (out/'optimum.json').write_text(json.dumps(info, indent=1))
    print(json.dumps(info))

if __name__ == '__main__':
    main()
