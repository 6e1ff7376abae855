"""The baseline a user would reach for without EdgeMIN: Hugging Face Optimum's ONNX Runtime quantizer, run as its
documentation shows: export with `ORTModelForSequenceClassification`, optionally fuse the graph with `ORTOptimizer` at one of
its `AutoOptimizationConfig` levels (O1 basic, O2 extended with attention and SkipLayerNorm fusions, O3 with GELU
approximated too; O4 adds fp16 and is for GPUs), then `ORTQuantizer` with the dynamic `AutoQuantizationConfig` preset
for an instruction set. bench/compare.py runs every combination the CPU supports and keeps the fastest.

Optimum pins transformers < 4.58 while EdgeMIN uses transformers 5, so this script runs in its own virtual
environment (`make bench` creates `.venv-optimum`); it only writes the quantized ONNX model, which bench/compare.py
then measures exactly as it measures everything else.

    .venv-optimum/bin/python bench/optimum_quantize.py MODEL_DIR OUT_DIR [--isa avx512_vnni|avx512|avx2|arm64] [--optimize none|O1|O2|O3]
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
    ap.add_argument('--optimize', default='none', choices=['none', 'O1', 'O2', 'O3'], help="ORTOptimizer's level before quantizing")
    args = ap.parse_args(argv)
    import optimum, onnxruntime
    from optimum.onnxruntime import ORTModelForSequenceClassification, ORTQuantizer
    from optimum.onnxruntime.configuration import AutoQuantizationConfig
    out = Path(args.out_dir); out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    model = ORTModelForSequenceClassification.from_pretrained(args.model_dir, export=True)
    model.save_pretrained(out/'fp32')
    src, name = out/'fp32', 'model.onnx'
    if args.optimize != 'none':
        from optimum.onnxruntime import ORTOptimizer
        from optimum.onnxruntime.configuration import AutoOptimizationConfig
        ORTOptimizer.from_pretrained(src).optimize(save_dir=out/'optimized', optimization_config=getattr(AutoOptimizationConfig, args.optimize)())
        src, name = out/'optimized', 'model_optimized.onnx'
        # ONNX Runtime's quantizer cannot infer the types around fused nodes (Attention, SkipLayerNormalization) and asks for
        # extra_options DefaultTensorType = FLOAT, which Optimum's ORTQuantizer has no way to pass: give it that option
        import onnx, optimum.onnxruntime.quantization as oq
        class Typed(oq.ONNXQuantizer):
            def __init__(self, *a, **kw):
                kw['extra_options'] = {**(kw.get('extra_options') or {}), 'DefaultTensorType': onnx.TensorProto.FLOAT}
                super().__init__(*a, **kw)
        oq.ONNXQuantizer = Typed
    qcfg = getattr(AutoQuantizationConfig, args.isa)(is_static=False, per_channel=args.per_channel)
    ORTQuantizer.from_pretrained(src, file_name=name).quantize(quantization_config=qcfg, save_dir=out/'quantized')
    onnx = next((out/'quantized').glob('*_quantized.onnx'))
    info = dict(onnx=str(onnx), preset=args.isa, optimize=args.optimize, per_channel=args.per_channel,
                default_tensor_type_float=args.optimize != 'none',
                optimum=metadata.version("optimum"), optimum_onnx=metadata.version("optimum-onnx"), onnxruntime=onnxruntime.__version__, seconds=round(time.perf_counter() - t0, 1))
    (out/'optimum.json').write_text(json.dumps(info, indent=1))
    print(json.dumps(info))

if __name__ == '__main__':
    main()
