"""Sentence-embedding compression, side by side in one run on this CPU: the teacher (all-MiniLM-L6-v2) in PyTorch and as
INT8 ONNX graphs (EdgeMIN's export of it, pooled and normalised, quantized like the students; and sentence-transformers'
own export and quantization, bench/st_export.py in `.venv-optimum`), Model2Vec distilled
from the same teacher here (static embeddings; PyPI's `model2vec`, in its own environment `.venv-m2v`), and EdgeMIN
students at several sizes (`edgemin.embed.embed_run`: cut out of the teacher, distilled on local GLUE training sentences,
INT8). Every model is measured the same way: STS-B dev Spearman, MRPC dev average precision, QNLI dev retrieval
MRR@10 / recall@10, size on disk, batch-1 latency at 128 tokens, and sentences per second at batch 32.

Each entry is kept in bench/results/embed.json when it finishes, and a rerun skips the finished ones (`--redo NAME`
measures one again); students are trained into $EDGEMIN_CACHE/bench/embed/NAME and resume after their distillation.
Run it alone: latency is measured on the whole CPU.

    python bench/embed.py                      # every entry
    python bench/embed.py --only teacher l3    # some entries
    python bench/embed.py --render             # rewrite embed.md (and the plot) from embed.json
    python bench/embed.py --latency            # time every model again, 7 interleaved rounds, median kept
    python bench/embed.py --study              # the distillation budget: learning rate, epochs, sentences, INT8 scales

Targets (the embedding issue): an EdgeMIN model >= 10x smaller and >= 5x faster than the teacher keeping >= 97% of its
STS-B Spearman, and an EdgeMIN point better than Model2Vec's in quality at no more than twice its size.
"""
import argparse, datetime, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from settings import ROOT, RESULTS
from common import write_atomic

OUT = RESULTS/'embed.json'
M2V_PY = ROOT/'.venv-m2v'/'bin'/'python'
TEACHER = 'minilm-l6'
# name -> EmbedRunConfig fields (each a student of the teacher; budgets in training sentences and epochs). The first four were
# trained at lr 1e-4, the default before the budget study below chose 3e-3; they are kept as measured.
STUDENTS = {
    'l3': dict(layers=3, max_sentences=40000, distill=dict(epochs=1.0, lr=1e-4)),
    'l2': dict(layers=2, max_sentences=40000, distill=dict(epochs=1.0, lr=1e-4)),
    'l2-w256': dict(layers=2, hidden=256, heads=4, ffn=1024, max_sentences=40000, distill=dict(epochs=1.0, lr=1e-4)),
    # the l3 student, then 30% of its heads and FFN neurons removed (ranked on the embedding loss) and half an epoch of recovery
    'l3-pruned': dict(layers=3, max_sentences=40000, distill=dict(epochs=1.0, lr=1e-4), prune=dict(heads=0.3, ffn=0.3, recover=dict(epochs=0.5, lr=1e-4))),
}
M2V_DIMS = 256       # Model2Vec's PCA dimensions (its default)

# The distillation budget, studied on a 3-layer x 256 student (`--study`): first the learning rate, chosen by the student's
# agreement with the teacher on the run's held-out *training* sentences (never on an evaluation split), then that rate
# trained three times as long. Every point is a whole `embed_run` (fp32 and INT8 rows), kept in embed.json's 'study'.
STUDY_BASE = dict(layers=3, hidden=256, heads=8, ffn=1024, max_sentences=40000)
STUDY_LRS = (1e-4, 3e-4, 1e-3, 3e-3)   # 3e-3 added when 1e-3, the grid's edge, led
STUDY_EPOCHS = 3.0
# then every local sentence (not only 40,000) for two epochs: added when three epochs on 40,000 kept 96.6% of the teacher's STS-B,
# with the held-out agreement still rising (0.81 after one epoch, 0.86 after three)
STUDY_ALL_EPOCHS = 2.0

def study_dir(lr: float, epochs: float, all_sentences: bool = False) -> Path:
    return cache()/'study'/f"lr{lr:g}-ep{epochs:g}{'-all' if all_sentences else ''}"

def from_study(res: dict, **compress) -> dict:
    "An entry made of the study's longest-trained student (its chosen rate, every sentence), compressed further by `compress` without distilling it again."
    lr = (res.get('study') or {}).get('chosen_lr')
    if lr is None or not (study_dir(lr, STUDY_ALL_EPOCHS, True)/'model'/'distill_record.json').is_file():
        raise SystemExit("this entry starts from the budget study's student: run `python bench/embed.py --study` first")
    return {**STUDY_BASE, 'max_sentences': None, 'student': str(study_dir(lr, STUDY_ALL_EPOCHS, True)/'model'), 'distill': None, **compress}

# the study's student with its vocabulary trimmed to the tokens of its training sentences (no further training)
STUDENTS['l3-w256-vocab'] = lambda res: from_study(res, prune=dict(vocab=True, recover=None))

def glue_dir() -> str:
    d = os.environ.get('EDGEMIN_GLUE_DIR') or str(ROOT.parent/'shared'/'data'/'glue')
    if not (Path(d)/'STS-B').is_dir(): raise SystemExit(f"no GLUE data at {d}: set EDGEMIN_GLUE_DIR")
    return d

def throughput(model, tok, sentences, batch: int = 32) -> float:
    "Sentences per second over `sentences` at batch `batch` (length-sorted batches, as `encode` runs them)."
    from edgemin.embed import encode
    t0 = time.perf_counter(); encode(model, tok, sentences, batch_size=batch); return len(sentences) / (time.perf_counter() - t0)

def measure(name: str, model, tok, config, size: int, sentences, teacher=None, held=()) -> dict:
    "One row: the evaluations, agreement, size, latency at batch 1 x 128, throughput at batch 32."
    from edgemin.embed import evaluate_embeddings, agreement, TimedEmbedder
    from edgemin.profile import latency
    row = {'model': name, 'size_bytes': size, **evaluate_embeddings(model, tok, data_dir=glue_dir())}
    if teacher is not None and len(held): row['agreement'] = agreement(model, teacher, held, tok)
    if config is not None: row['latency_bs1_ms'] = latency(TimedEmbedder(model, config), batch=1, seq_len=128)['median_ms']
    row['sentences_per_s_bs32'] = throughput(model, tok, sentences)
    return row

class Model2Vec:
    "A Model2Vec static model run by model2vec itself, in its own environment: texts in, vectors out (`encode_texts`)."
    def __init__(self, path: Path): self.path = path
    def encode_texts(self, texts):
        import numpy as np
        with tempfile.TemporaryDirectory() as d:
            (Path(d)/'in.json').write_text(json.dumps(texts))
            code = ("import json, sys, numpy as np; from model2vec import StaticModel; m = StaticModel.from_pretrained(sys.argv[1]); "
                    "np.save(sys.argv[3], m.encode(json.load(open(sys.argv[2])), batch_size=1024))")
            subprocess.run([str(M2V_PY), '-c', code, str(self.path), str(Path(d)/'in.json'), str(Path(d)/'out.npy')], check=True,
                           env={**os.environ, 'HF_HUB_OFFLINE': '1'})
            return np.load(Path(d)/'out.npy')

def model2vec_entry(sentences) -> dict:
    "Distill Model2Vec from the teacher here (its own code, no training data), then measure it; latency and throughput inside its environment."
    from edgemin.data import resolve_checkpoint
    if not M2V_PY.is_file(): raise SystemExit("Model2Vec needs its environment: python3 -m venv .venv-m2v && .venv-m2v/bin/pip install torch==2.13.0 'model2vec[distill,quantization]'")
    out = cache()/'model2vec'
    t0 = time.perf_counter()
    if not (out/'model.safetensors').is_file():
        code = ("import sys; from model2vec.distill import distill; m = distill(model_name=sys.argv[1], pca_dims=int(sys.argv[3])); m.save_pretrained(sys.argv[2])")
        subprocess.run([str(M2V_PY), '-c', code, resolve_checkpoint(TEACHER), str(out), str(M2V_DIMS)], check=True, env={**os.environ, 'HF_HUB_OFFLINE': '1'})
    distill_s = time.perf_counter() - t0
    m = Model2Vec(out)
    from edgemin.embed import evaluate_embeddings
    row = {'model': f'Model2Vec (distilled here, {M2V_DIMS} dims)', 'size_bytes': (out/'model.safetensors').stat().st_size,
           **evaluate_embeddings(m, None, data_dir=glue_dir()), 'distill_s': round(distill_s, 1)}
    code = ("import json, sys, time, statistics; from model2vec import StaticModel; m = StaticModel.from_pretrained(sys.argv[1]); s = json.load(open(sys.argv[2])); "
            "long = ' '.join([s[0]] * 60); m.encode([long]); ts = []\n"
            "for _ in range(200): t = time.perf_counter(); m.encode([long]); ts.append((time.perf_counter() - t) * 1000)\n"
            "t = time.perf_counter(); m.encode(s, batch_size=32); print(json.dumps({'latency': statistics.median(ts), 'sps': len(s) / (time.perf_counter() - t)}))")
    with tempfile.TemporaryDirectory() as d:
        (Path(d)/'s.json').write_text(json.dumps(list(sentences)))
        r = json.loads(subprocess.run([str(M2V_PY), '-c', code, str(out), str(Path(d)/'s.json')], check=True, capture_output=True, text=True,
                                      env={**os.environ, 'HF_HUB_OFFLINE': '1'}).stdout.strip().splitlines()[-1])
    row['latency_bs1_ms'], row['sentences_per_s_bs32'] = r['latency'], r['sps']
    row['latency_note'] = 'model2vec encode() of one text of 128+ tokens (tokenizing included)'
    return row

ST_PY = ROOT/'.venv-optimum'/'bin'/'python'
ST_ISA = 'avx512_vnni'       # the preset sentence-transformers' quantizer is given: this CPU's best instruction set (x86 with VNNI)

class TokenGraph:
    "An ONNX graph that outputs token vectors only (sentence-transformers' export), pooled and normalised here as its Pooling and Normalize modules do."
    def __init__(self, path: Path, pooling: str = 'mean', normalize: bool = True):
        import onnxruntime as ort
        from edgemin.runtime import SessionSettings
        self.session = ort.InferenceSession(str(path), SessionSettings().options(), providers=['CPUExecutionProvider'])
        self.names, self.pooling, self.normalize = [i.name for i in self.session.get_inputs()], pooling, normalize
    def __call__(self, input_ids, attention_mask, token_type_ids=None):
        import numpy as np, torch
        from edgemin.embed import pool
        feeds = {'input_ids': input_ids, 'attention_mask': attention_mask,
                 'token_type_ids': token_type_ids if token_type_ids is not None else np.zeros_like(np.asarray(input_ids))}
        h = self.session.run(None, {k: np.asarray(feeds[k], dtype=np.int64) for k in self.names})[0]
        v = pool(torch.from_numpy(h), torch.as_tensor(np.asarray(attention_mask)), self.pooling)
        return (torch.nn.functional.normalize(v, dim=-1) if self.normalize else v).numpy()

def st_int8(teacher_dir: str) -> tuple[Path, dict]:
    "sentence-transformers' own ONNX export of the teacher, quantized by its own helper (bench/st_export.py in .venv-optimum); cached."
    out, info = cache()/'teacher-st', cache()/'teacher-st.json'
    if not info.is_file():
        if not ST_PY.is_file(): raise SystemExit("sentence-transformers' export needs its side environment: `make bench-venv` creates .venv-optimum")
        r = subprocess.run([str(ST_PY), str(ROOT/'bench'/'st_export.py'), teacher_dir, str(out), '--isa', ST_ISA], check=True, capture_output=True,
                           text=True, env={**os.environ, 'HF_HUB_OFFLINE': '1'})
        info.write_text(r.stdout.strip().splitlines()[-1])
    d = json.loads(info.read_text())
    return Path(d['graph']), d

def cache() -> Path:
    from edgemin.data import edgemin_cache
    p = edgemin_cache()/'bench'/'embed'; p.mkdir(parents=True, exist_ok=True); return p

def teacher_entries(sentences) -> list[dict]:
    "The teacher in PyTorch fp32, and as EdgeMIN's INT8 ONNX export of it."
    from edgemin.embed import load_encoder, export_embedder, quantize_embedder, OnnxEmbedder
    from edgemin.data import load_tokenizer
    from edgemin.profile import size_on_disk
    t, tok = load_encoder(TEACHER), load_tokenizer(TEACHER)
    rows = [measure('teacher (PyTorch fp32)', t, tok, t.config, size_on_disk(t.model), sentences)]
    q = quantize_embedder(export_embedder(t, cache()/'teacher'/'model.onnx'), cache()/'teacher'/'model_quantized.onnx', 'bert')
    rows.append(measure('teacher (ONNX INT8)', OnnxEmbedder(q), tok, t.config, q.stat().st_size, sentences, t, sentences[:500]))
    return rows

def teacher_st_entry(sentences) -> list[dict]:
    "The teacher as sentence-transformers exports and quantizes it itself (its graph ends at the token vectors; pooled here as it pools)."
    from edgemin.embed import load_encoder
    from edgemin.data import load_tokenizer, resolve_checkpoint
    t, tok = load_encoder(TEACHER), load_tokenizer(TEACHER)
    g, info = st_int8(resolve_checkpoint(TEACHER))
    row = measure(f"teacher (ONNX INT8, sentence-transformers' export)", TokenGraph(g, t.pooling, t.normalize), tok, t.config, g.stat().st_size,
                  sentences, t, sentences[:500])
    row['export'] = {k: v for k, v in info.items() if 'graph' not in k}
    return [row]

def student_entry(name: str, spec: dict, sentences) -> list[dict]:
    from edgemin.embed import EmbedDistillConfig, EmbedRunConfig, embed_run, load_encoder, OnnxEmbedder
    from edgemin.data import load_tokenizer
    from edgemin.profile import size_on_disk
    cfg = EmbedRunConfig.from_dict({'teacher': TEACHER, 'data_dir': glue_dir(), **spec})
    rec = embed_run(cfg, cache()/name, progress=False)
    folder = cache()/name/'model'
    tok = load_tokenizer(folder)        # the student's own: trimmed with its vocabulary, as a user loads it
    s = load_encoder(folder)
    sent = rec['sentences']
    rows = []
    for label, model, size in ((f'EdgeMIN {name} (PyTorch fp32)', s, size_on_disk(folder)),
                               (f'EdgeMIN {name} (ONNX INT8)', OnnxEmbedder(folder/'onnx'/'model_quantized.onnx'), (folder/'onnx'/'model_quantized.onnx').stat().st_size)):
        r = measure(label, model, tok, s.config, size, sentences)
        r.update({k: v for k, v in next(x for x in rec['models'] if x['model'].startswith('student') and ('INT8' in x['model']) == ('INT8' in label)).items() if k == 'agreement'})
        pr = rec['distill'].get('prune')
        dc = rec['distill'].get('config') or {}
        r.update(params=rec['params']['student'], train={'sentences': sent['train'], 'steps': rec['distill']['steps'], 'seconds': rec['distill']['wall_time_s'],
                                                         'lr': dc.get('lr'), 'epochs': dc.get('epochs')},
                 shape={k: cfg.to_dict()[k] for k in ('layers', 'hidden', 'heads', 'ffn')})
        if pr: r['pruned'] = {'heads': pr['config']['heads'], 'ffn': pr['config']['ffn'], 'agreement': pr['agreement'],
                              'recovery_steps': (pr.get('recovery') or {}).get('steps'), 'seconds': pr['wall_time_s'], 'vocab': pr.get('vocab')}
        rows.append(r)
    return rows

def study_point(lr: float, epochs: float, all_sentences: bool = False) -> dict:
    "One point of the budget study: the study's student distilled at `lr` for `epochs` (of 40,000 sentences, or of all), its fp32 and INT8 rows."
    from edgemin.embed import EmbedRunConfig, embed_run
    cfg = EmbedRunConfig.from_dict({'teacher': TEACHER, 'data_dir': glue_dir(), **STUDY_BASE, 'distill': {'epochs': epochs, 'lr': lr},
                                    **({'max_sentences': None} if all_sentences else {})})
    t0 = time.perf_counter()
    rec = embed_run(cfg, study_dir(lr, epochs, all_sentences), progress=False)
    rows = {('int8' if 'INT8' in m['model'] else 'fp32'): {k: m[k] for k in ('agreement', 'stsb_spearman', 'mrpc_ap', 'qnli_mrr10', 'size_bytes') if k in m}
            for m in rec['models'] if m['model'].startswith('student')}
    return {'lr': lr, 'epochs': epochs, 'steps': rec['distill']['steps'], 'sentences': rec['sentences']['train'], 'held_out': rec['sentences']['held_out'],
            'distill_s': rec['distill']['wall_time_s'], 'final_loss': rec['distill']['losses'][-1], 'seconds': round(time.perf_counter() - t0, 1),
            'load_before': [round(x, 2) for x in os.getloadavg()], **rows}

def study(res: dict):
    "The learning-rate grid at one epoch, the rate with the best held-out agreement chosen, then that rate for STUDY_EPOCHS and on every sentence, then the INT8 scales; resumable."
    st = res.setdefault('study', {'base': STUDY_BASE, 'points': []})
    b = st['base']
    def point(lr, ep, every=False):
        done = next((p for p in st['points'] if p['lr'] == lr and p['epochs'] == ep and (p['sentences'] > b['max_sentences']) == every), None)
        if done: return done
        p = study_point(lr, ep, every); st['points'].append(p); write_atomic(OUT, json.dumps(res, indent=1))
        print(f"study lr={lr:g} epochs={ep:g}: agreement {p['fp32']['agreement']:.4f}, STS-B {p['fp32']['stsb_spearman']:.4f}", flush=True)
        return p
    grid = [point(lr, 1.0) for lr in STUDY_LRS]
    st['chosen_lr'] = max(grid, key=lambda p: p['fp32']['agreement'])['lr']
    point(st['chosen_lr'], STUDY_EPOCHS)
    point(st['chosen_lr'], STUDY_ALL_EPOCHS, every=True)
    if 'scales' not in st: study_scales(res)
    write_atomic(OUT, json.dumps(res, indent=1))

def study_scales(res: dict):
    """INT8 with one scale per weight tensor against one per output channel, for the study's longest-trained student: chosen by
    fidelity (mean cosine of the INT8 vectors to the student's float vectors) on the run's 500 held-out training sentences."""
    from edgemin.embed import load_encoder, quantize_embedder, OnnxEmbedder, agreement, embedding_sentences, evaluate_embeddings
    from edgemin.quantize import QuantizeConfig
    from edgemin.data import load_tokenizer
    st = res['study']
    d = study_dir(st['chosen_lr'], STUDY_ALL_EPOCHS, True)/'model'
    s, tok, t, ttok = load_encoder(d), load_tokenizer(d), load_encoder(TEACHER), load_tokenizer(TEACHER)
    held = embedding_sentences('glue', glue_dir(), None, 0)[:500]      # what embed_run held out (the first 500 of the same shuffle)
    out = {}
    for pc in (False, True):
        q = quantize_embedder(d/'onnx'/'model.onnx', cache()/'study'/f"scales-{'channel' if pc else 'tensor'}.onnx", s.arch.family,
                              QuantizeConfig(quantize_embeddings=True, per_channel=pc))
        m = OnnxEmbedder(q)
        out['per_channel' if pc else 'per_tensor'] = {'fidelity': agreement(m, s, held, tok), 'agreement': agreement(m, t, held, tok, ttok),
                                                      'size_bytes': q.stat().st_size, **evaluate_embeddings(m, tok, ('stsb',), glue_dir())}
    out['chosen'] = max(('per_tensor', 'per_channel'), key=lambda k: out[k]['fidelity'])
    st['scales'] = out
    write_atomic(OUT, json.dumps(res, indent=1))
    print('study scales:', json.dumps(out), flush=True)

def latency_pass(res: dict, rounds: int = 3):
    """Batch-1 latency of every PyTorch / ONNX model again, in interleaved rounds, the median kept: one entry's timing
    taken beside other work, or on another level of this host's clock, is not compared with another's."""
    import statistics
    from edgemin.embed import load_encoder, OnnxEmbedder, TimedEmbedder
    from edgemin.profile import latency
    models = {}
    t = load_encoder(TEACHER)
    models['teacher (PyTorch fp32)'] = (t, t.config)
    if (cache()/'teacher'/'model_quantized.onnx').is_file(): models['teacher (ONNX INT8)'] = (OnnxEmbedder(cache()/'teacher'/'model_quantized.onnx'), t.config)
    if (cache()/'teacher-st.json').is_file(): models["teacher (ONNX INT8, sentence-transformers' export)"] = (TokenGraph(st_int8('')[0]), t.config)
    for name in STUDENTS:
        f = cache()/name/'model'
        if not (f/'onnx'/'model_quantized.onnx').is_file(): continue
        s = load_encoder(f)
        models[f'EdgeMIN {name} (PyTorch fp32)'] = (s, s.config)
        models[f'EdgeMIN {name} (ONNX INT8)'] = (OnnxEmbedder(f/'onnx'/'model_quantized.onnx'), s.config)
    times = {k: [] for k in models}
    for _ in range(rounds):
        for k, (m, c) in models.items(): times[k].append(latency(TimedEmbedder(m, c), batch=1, seq_len=128)['median_ms'])
    for r in res['rows']:
        if r['model'] in times: r['latency_bs1_ms'], r['latency_rounds_ms'] = statistics.median(times[r['model']]), [round(x, 3) for x in times[r['model']]]
    res['latency_pass'] = {'rounds': rounds, 'load_before': [round(x, 2) for x in os.getloadavg()], 'at': datetime.datetime.now().isoformat(timespec='seconds')}

def render(res: dict) -> str:
    rows = res['rows']; t = next(r for r in rows if r['model'].startswith('teacher (PyTorch'))
    keys = ('stsb_spearman', 'mrpc_ap', 'qnli_mrr10', 'qnli_recall10')
    e = res['environment']
    lp = res.get('latency_pass')
    lines = ['# Sentence-embedding compression', '',
             f"Generated by `python bench/embed.py` (last entry {res['updated']}); {e['cpu']}, {e['logical_cores']} logical cores, torch {e['torch']}, "
             f"onnxruntime {e.get('onnxruntime')}; load average before each entry is in embed.json. Teacher: all-MiniLM-L6-v2 (`{TEACHER}`). "
             "STS-B: Spearman of pair cosines with the gold scores (dev, 1,500 pairs); MRPC: average precision of the pair cosine (dev, 408); "
             "QNLI: each dev question with an entailed sentence retrieves it among all distinct dev sentences. No model was trained on "
             "any of these dev splits; students were distilled on local GLUE training sentences without their labels."
             + (f" Latency: batch 1 × 128 tokens, the median of {lp['rounds']} interleaved rounds over all models (load average before: {lp['load_before']})." if lp else ''), '',
             '| model | size | × smaller | latency bs1 × 128 ms | × faster | sentences/s bs32 | STS-B ρ | STS-B kept | MRPC AP | QNLI MRR@10 | QNLI R@10 | agreement |',
             '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for r in rows:
        lat = r.get('latency_bs1_ms')
        if not lat: lines.append(f"| {r['model']} | … |"); continue
        agree = f"{r['agreement']:.4f}" if 'agreement' in r else '–'
        lines.append(f"| {r['model']} | {r['size_bytes'] / 1e6:.1f} MB | {t['size_bytes'] / r['size_bytes']:.1f} | {lat:.2f} | "
                     f"{t['latency_bs1_ms'] / lat:.1f} | {r['sentences_per_s_bs32']:.0f} | {r['stsb_spearman']:.4f} | "
                     f"{r['stsb_spearman'] / t['stsb_spearman']:.1%} | {r['mrpc_ap']:.4f} | {r['qnli_mrr10']:.4f} | {r['qnli_recall10']:.4f} | {agree} |")
    lines += ['', 'Students: ' + '; '.join(f"{r['model'].split(' (')[0]} = {r['shape']['layers']} layers"
                                             f"{', ' + str(r['shape']['hidden']) + ' wide' if r['shape']['hidden'] else ''}, "
                                             f"{r['train']['steps']} steps on {r['train']['sentences']:,} sentences in {r['train']['seconds'] / 60:.0f} min"
                                             f"{' at learning rate {:g}'.format(r['train']['lr']) if r['train'].get('lr') else ''}{_pruned(r.get('pruned'))}, "
                                             f"{r['params']:,} parameters"
                                             for r in rows if 'shape' in r and 'INT8' in r['model']) + '.', '']
    tr = t.get('latency_rounds_ms')
    if tr and max(tr) > 1.2 * min(tr):                  # the host changed speed level between rounds: say so, with per-round ratios
        per = lambda r: [a / b for a, b in zip(tr, r['latency_rounds_ms'])]
        lines += [f"The rounds spread: the teacher (PyTorch fp32) took {min(tr):.1f}-{max(tr):.1f} ms, as this host switches between a fast "
                  "and a slow level for tens of seconds (bench/results/drift.md); the table shows each model's median round. Speed-ups "
                  "within one round (every model timed at the same level): "
                  + '; '.join(f"{r['model']} {min(per(r)):.1f}-{max(per(r)):.1f}×" for r in rows
                              if r['model'].startswith('EdgeMIN') and 'INT8' in r['model'] and r.get('latency_rounds_ms')) + '.', '']
    m2v = [r for r in rows if r['model'].startswith('Model2Vec')]
    if m2v: lines += [f"Model2Vec's latency is its own `encode()` of one long text (tokenization included), the others' the ONNX or PyTorch graph at 128 tokens; "
                      f"its distillation took {m2v[0]['distill_s']:.0f} s here.", '']
    lines += [f"Pareto plots: ![STS-B against size]({PLOTS['size_mb'][0]}) ![STS-B against latency]({PLOTS['latency_bs1_ms'][0]})", '']
    lines += study_lines(res.get('study'), t)
    lines += targets(rows, t)
    return '\n'.join(lines) + '\n'

def _pruned(p: dict | None) -> str:
    "How a student was pruned after its distillation, as the Students line says it."
    if not p: return ''
    hf = ' and '.join(f"{p[k]:.0%} of {w}" for k, w in (('heads', 'heads'), ('ffn', 'FFN neurons')) if p[k])
    parts = [hf + ' pruned'] if hf else []
    v = p.get('vocab')
    if v: parts.append(f"vocabulary trimmed to its training sentences' tokens ({v['before']:,} → {v['after']:,}; {v['dev_token_coverage']:.1%} of held-out tokens kept, "
                       "other words spelled with kept pieces)")
    rec = f" and {p['recovery_steps']} recovery steps" if p.get('recovery_steps') else ' (no recovery training)'
    return ', then ' + ' and '.join(parts) + rec

def study_lines(st: dict | None, t: dict) -> list[str]:
    "embed.md's section on the distillation budget (`--study`): every point, the rate chosen and on what."
    if not st or not st.get('points'): return []
    b = st['base']
    out = ['## Distillation budget', '',
           f"`python bench/embed.py --study`: a {b['layers']}-layer × {b['hidden']} student ({b['heads']} heads, FFN {b['ffn']}, projected to the "
           f"teacher's 384 dimensions) distilled on {b['max_sentences']:,} GLUE training sentences at batch 64 (cosine on the vectors + MiniLMv2 "
           "relations). The learning rate is chosen by the student's agreement with the teacher (mean cosine) on the run's 500 held-out "
           "*training* sentences, never on an evaluation split; the chosen rate is then trained three times as long, and then for two epochs "
           "of every local training sentence (a step added after the three-epoch point, with its agreement still rising). STS-B and the "
           "other evaluations are reported, not used to choose. The INT8 columns used one scale per weight tensor, the default until the "
           "comparison below made it one per channel.", '',
           '| learning rate | sentences | epochs | steps | distill min | held-out agreement (fp32) | STS-B ρ fp32 | STS-B ρ INT8 | STS-B kept (INT8) | MRPC AP INT8 | QNLI MRR@10 INT8 | INT8 MB |',
           '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for p in sorted(st['points'], key=lambda p: (p['steps'], p['lr'])):
        f, q = p['fp32'], p['int8']
        out.append(f"| {p['lr']:g}{' (chosen)' if p['lr'] == st.get('chosen_lr') else ''} | {p['sentences']:,} | {p['epochs']:g} | {p['steps']} | {p['distill_s'] / 60:.0f} | "
                   f"{f['agreement']:.4f} | {f['stsb_spearman']:.4f} | {q['stsb_spearman']:.4f} | {q['stsb_spearman'] / t['stsb_spearman']:.1%} | "
                   f"{q['mrpc_ap']:.4f} | {q['qnli_mrr10']:.4f} | {q['size_bytes'] / 1e6:.1f} |")
    sc = st.get('scales')
    if sc:
        f = lambda k: f"{sc[k]['fidelity']:.4f} to its float vectors ({sc[k]['agreement']:.4f} to the teacher's), STS-B ρ {sc[k]['stsb_spearman']:.4f}"
        out += ['', f"INT8 scales for the last student, chosen by fidelity on the same held-out training sentences: one scale per weight tensor "
                    f"{f('per_tensor')}; one per output channel {f('per_channel')}. Chosen: **{sc['chosen'].replace('_', ' ')}**."]
    return out + ['']

def targets(rows, t) -> list[str]:
    ed = [r for r in rows if r['model'].startswith('EdgeMIN') and 'INT8' in r['model']]
    if not ed: return []
    ok = [r for r in ed if t['size_bytes'] / r['size_bytes'] >= 10 and t['latency_bs1_ms'] / r['latency_bs1_ms'] >= 5 and r['stsb_spearman'] / t['stsb_spearman'] >= 0.97]
    best = max(ed, key=lambda r: r['stsb_spearman'] / t['stsb_spearman'])
    out = ['## Targets', '',
           f"- ≥ 10× smaller, ≥ 5× faster, ≥ 97% of the teacher's STS-B: **{'met by ' + ', '.join(r['model'] for r in ok) if ok else 'not met'}**"
           f" (best STS-B kept: {best['model']}, {best['stsb_spearman'] / t['stsb_spearman']:.1%}, {t['size_bytes'] / best['size_bytes']:.1f}× smaller, "
           f"{t['latency_bs1_ms'] / best['latency_bs1_ms']:.1f}× faster)."]
    m2v = next((r for r in rows if r['model'].startswith('Model2Vec')), None)
    if m2v:
        beat = [r for r in ed if r['stsb_spearman'] > m2v['stsb_spearman'] and r['size_bytes'] <= 2 * m2v['size_bytes']]
        out.append(f"- better than Model2Vec's STS-B ({m2v['stsb_spearman']:.4f}) at no more than twice its size ({2 * m2v['size_bytes'] / 1e6:.1f} MB): "
                   f"**{'met by ' + ', '.join(r['model'] for r in beat) if beat else 'not met'}**"
                   + (f" (by {max(r['stsb_spearman'] for r in beat) - m2v['stsb_spearman']:.4f} Spearman)" if beat else '') + '.')
    return out + ['']

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--only', nargs='+', help=f"entries to run: teacher, teacher-st, model2vec, {', '.join(STUDENTS)}")
    ap.add_argument('--redo', nargs='+', default=[], help='measure these entries again')
    ap.add_argument('--render', action='store_true', help='only rewrite embed.md and the plots from embed.json')
    ap.add_argument('--latency', action='store_true', help='only time every model again (interleaved rounds) and rewrite the results')
    ap.add_argument('--study', action='store_true', help='only run the distillation-budget study (learning rate, then epochs) and rewrite the results')
    ap.add_argument('--rounds', type=int, default=7, help='interleaved latency rounds; the median is kept (default 7: this host switches '
                                                           'between a fast and a slow level for tens of seconds, bench/results/drift.md)')
    args = ap.parse_args(argv)
    from edgemin.profile import environment
    res = json.loads(OUT.read_text()) if OUT.is_file() else {'rows': [], 'entries': {}}
    if args.study: study(res)
    elif args.latency: latency_pass(res, args.rounds); write_atomic(OUT, json.dumps(res, indent=1))
    elif not args.render:
        from edgemin.embed import embedding_sentences
        probe = embedding_sentences('glue', glue_dir(), max_sentences=2000, seed=1)      # 2,000 sentences for the speed figures only
        todo = args.only or ['teacher', 'teacher-st', 'model2vec', *STUDENTS]
        for name in todo:
            if name in res['entries'] and name not in args.redo: print(f'{name}: already measured'); continue
            load = [round(x, 2) for x in os.getloadavg()]
            t0 = time.perf_counter()
            spec = STUDENTS.get(name)
            rows = (teacher_entries(probe) if name == 'teacher' else teacher_st_entry(probe) if name == 'teacher-st' else
                    [model2vec_entry(probe)] if name == 'model2vec' else
                    student_entry(name, spec(res) if callable(spec) else spec, probe))
            res['entries'][name] = {'rows': [r['model'] for r in rows], 'load_before': load, 'seconds': round(time.perf_counter() - t0, 1)}
            res['rows'] = [r for r in res['rows'] if r['model'] not in {x['model'] for x in rows}] + rows
            res['environment'], res['updated'] = environment(), datetime.datetime.now().isoformat(timespec='seconds')
            order = ['teacher', 'teacher-st', 'model2vec', *STUDENTS]
            res['rows'].sort(key=lambda r: next((i for i, n in enumerate(order) if r['model'] in res['entries'].get(n, {}).get('rows', [])), 99))
            RESULTS.mkdir(parents=True, exist_ok=True); write_atomic(OUT, json.dumps(res, indent=1))
            print(f"{name}: done in {time.perf_counter() - t0:.0f} s")
        latency_pass(res, args.rounds); write_atomic(OUT, json.dumps(res, indent=1))       # every model timed again side by side
    if res['rows'] and any(r['model'].startswith('teacher (PyTorch') for r in res['rows']):
        plots(res['rows'])
        write_atomic(RESULTS/'embed.md', render(res)); print(render(res))

PLOTS = {'size_mb': ('embed_size.png', 'STS-B against size'), 'latency_bs1_ms': ('embed_latency.png', 'STS-B against batch-1 latency')}

def plots(rows):
    "The Pareto plots: STS-B Spearman against size on disk and against batch-1 latency (log scales), front ringed."
    import matplotlib; matplotlib.use('Agg')
    from edgemin.viz import plot_tradeoff
    pts = [{'name': r['model'].replace(' (distilled here, 256 dims)', '').replace('EdgeMIN ', '').replace(' (ONNX INT8)', ' INT8').replace(' (PyTorch fp32)', ' fp32'), 'size_mb': r['size_bytes'] / 1e6,
            'latency_bs1_ms': r['latency_bs1_ms'], 'stsb_spearman': r['stsb_spearman']} for r in rows if r.get('latency_bs1_ms')]
    for x, (f, title) in PLOTS.items():
        fig = plot_tradeoff(pts, x=x, y='stsb_spearman', log_x=True, title=title)
        fig.axes[0].set_ylabel('STS-B dev Spearman ρ')
        fig.savefig(RESULTS/f, dpi=110)

if __name__ == '__main__':
    main()
