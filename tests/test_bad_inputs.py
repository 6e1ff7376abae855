"""Bad input, as a hostile user would give it, on the command line and in Python. For every case: exit status 2 (or the
error in Python), one message that names the offending key, file or value, no traceback, and nothing already written
changed. Then two faults: a second run on a directory in use, and a resume after a stage's artifact was damaged."""
import contextlib, io, json, os, shutil
from pathlib import Path

import pytest

from edgemin.cli import main
from edgemin.config import ConfigError, DataError, ModelError
from edgemin.data import custom_task, load_task
from edgemin.runner import run, run_lock, tiny_setup
from edgemin.runconfig import RunConfig

@pytest.fixture(scope='module')
def world(tmp_path_factory):
    "A toy SST-2 and a tiny teacher (saved with its tokenizer), and damaged copies of the teacher."
    root = tmp_path_factory.mktemp('world')
    os.environ['EDGEMIN_CACHE'] = str(root/'cache')
    tiny = tiny_setup(root)
    t = Path(tiny['teacher'])
    def variant(name, edit):
        d = root/name; shutil.copytree(t, d); edit(d); return d
    variant('no-tokenizer', lambda d: [p.unlink() for p in d.iterdir() if p.name not in ('config.json', 'model.safetensors')])
    variant('no-config', lambda d: (d/'config.json').unlink())
    variant('truncated', lambda d: (d/'model.safetensors').write_bytes((d/'model.safetensors').read_bytes()[:3000]))
    variant('empty', lambda d: (d/'model.safetensors').write_bytes(b''))
    variant('crafted', lambda d: (d/'model.safetensors').write_bytes((10**12).to_bytes(8, 'little') + b'{}'))
    def wrong_size(d):
        c = json.loads((d/'config.json').read_text()); c.pop('edgemin_shapes'); c['hidden_size'] = 64
        (d/'config.json').write_text(json.dumps(c))
    variant('wrong-size', wrong_size)
    def bad_shapes(d):
        c = json.loads((d/'config.json').read_text()); c['edgemin_shapes'] = {'heads': [4], 'ffn': [512] * 4, 'head_dim': 32}
        (d/'config.json').write_text(json.dumps(c))
    variant('bad-shapes', bad_shapes)
    def escaping_shards(d):
        (d/'model.safetensors').rename(d/'part.safetensors')
        (d/'model.safetensors.index.json').write_text(json.dumps({'weight_map': {'w': '../elsewhere/model.safetensors'}}))
    variant('escaping-shards', escaping_shards)
    (root/'a-file').write_text('not a directory')
    (root/'bad.yaml').write_text('finetune:\n  epochs: three\n')
    (root/'SST-2'/'long.tsv').write_text('sentence\tlabel\n' + 'x' * 140_000 + '\t1\n')
    return root, tiny

def snapshot(root: Path) -> dict:
    "Every file under `root` (the cache aside) with its size and modification time."
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob('*')
            if p.is_file() and 'cache' not in p.relative_to(root).parts}

def cli(argv: list[str]) -> tuple[int, str]:
    "Run the `edgemin` command in this process; its exit status and what it printed to stderr."
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try: rc = main(argv)
        except SystemExit as e: rc = e.code                 # argparse's own usage errors
    return rc, err.getvalue()

def overrides(root: Path, tiny: dict) -> list[str]:
    return [f"teacher={tiny['teacher']}", f'data.data_dir={root}', 'data.train_fraction=null', 'data.max_length=16', 'profile.seq_len=16']

RUN_CASES = [   # (extra overrides, what the message must say)
    (['student.layers=10'], 'student: cannot copy teacher layers'),
    (['seed=-1'], 'seed=-1 is out of range'),
    (['distill.lr=-1'], 'distill.lr=-1 is out of range'),
    (['distill.epochs=0'], 'distill.epochs=0 is out of range'),
    (['distill.max_steps=0'], 'distill.max_steps=0 is out of range'),
    (['distill.max_steps=-5'], 'distill.max_steps=-5 is out of range'),
    (['prune.recover_epochs=-1'], 'prune.recover_epochs=-1 is out of range'),
    (['data.max_eval=0'], 'data.max_eval=0 is out of range'),
    (['data.max_eval=-1'], 'data.max_eval=-1 is out of range'),
    (['data.train_fraction=abc'], "data.train_fraction='abc' is not a number"),
    (['quantize.backend=torch'], "quantize.backend='torch' makes a PyTorch model"),
    (['quantize.backend=tflite'], "unknown quantization backend 'tflite'"),
    (['finetune.epochs=.inf'], 'finetune.epochs=inf is not a finite number'),
    (['finetune=1'], 'finetune must be a mapping'),
    (['quantize=1'], 'quantize must be a mapping'),
    (['name=../../x'], "name='../../x' is not a plain name"),
    (['prune.head=0.3'], "unknown config key 'prune.head'"),
    (['teacher=/no/such/teacher'], "teacher: Tokenizer directory '/no/such/teacher' does not exist"),
    (['data.max_length=100'], "data.max_length=100 is more than the teacher's 64 positions"),
    (['profile.seq_len=65'], "profile.seq_len=65 is more than the teacher's 64 positions"),
]

@pytest.mark.parametrize('extra,msg', RUN_CASES, ids=[' '.join(c[0]) for c in RUN_CASES])
def test_run_refuses_before_any_work(world, extra, msg):
    root, tiny = world
    before = snapshot(root)
    rc, err = cli(['run', '--out', str(root/'runs'/'r'), *overrides(root, tiny), *extra])
    assert rc == 2 and msg in err and 'Traceback' not in err, err
    assert snapshot(root) == before and not (root/'runs').exists()

def test_a_failed_run_does_not_block_the_corrected_one(world):
    root, tiny = world
    out = root/'runs-fixed'/'r'
    rc, err = cli(['run', '--out', str(out), *overrides(root, tiny), 'data.train_fraction=abc'])
    assert rc == 2 and not out.exists()
    cfg = RunConfig.from_dict({**tiny, 'stages': ['distill'], 'distill': {'max_steps': 2}})
    from edgemin.runner import check_run_dir
    check_run_dir(out, RunConfig.from_dict({**tiny, 'seed': 5}))           # a run that wrote its config, then failed
    check_run_dir(out, cfg)                                                # no stage completed: the corrected one may start

CLI_CASES = [   # (argv after the command, what the message must say)
    (['run', '--preset', 'sst2-offline', 'prune.heads'], "'prune.heads' is neither key=value"),
    (['run', '--preset', 'sst2-offline', '--out', '{root}/a-file'], 'is a file; give a directory'),
    (['run', '--preset', 'sst2-offline', '--out', '{root}/a-file/run'], 'cannot create the run directory'),
    (['run', '{root}/bad.yaml'], "finetune.epochs='three' is not a number"),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/no-tokenizer', '--data-dir', '{root}'], 'holds no tokenizer: expected one of'),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/no-config', '--data-dir', '{root}'], 'has no config.json'),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/truncated', '--data-dir', '{root}'], 'model.safetensors: not a readable safetensors file'),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/empty', '--data-dir', '{root}'], 'model.safetensors: not a readable safetensors file'),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/crafted', '--data-dir', '{root}'], 'model.safetensors: not a readable safetensors file'),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/wrong-size', '--data-dir', '{root}'], 'weights do not fit its config.json'),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/escaping-shards', '--data-dir', '{root}'], 'lies outside the model directory'),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/tiny-bert', '--data-dir', '{root}', '--epochs', 'inf'], '--epochs=inf is not a finite number'),
    (['finetune', '--task', 'sst2', '--teacher', '{root}/tiny-bert', '--data-dir', '{root}', '--lr', '-1'], '--lr=-1.0 is out of range'),
    (['prune', '--task', 'sst2', '--model', '{root}/tiny-bert', '--data-dir', '{root}', '--heads', '1.0'], '--heads must be in [0, 1), got 1.0'),
    (['prune', '--task', 'sst2', '--model', '{root}/tiny-bert', '--data-dir', '{root}', '--recover-epochs', '-1'], '--recover-epochs must be >= 0'),
    (['quantize', '--model', '{root}/tiny-bert', '--mode', 'static'], '--mode static needs --task'),
    (['quantize', '--model', '{root}/tiny-bert', '--mode', 'int4'], "unknown quantization mode 'int4'"),
    (['profile', '{root}/tiny-bert', '--seq-len', '16', '--threads', '0', '--runs', '1'], 'threads must be a whole number >= 1'),
    (['profile', '{root}/tiny-bert', '--json', '{root}/missing/p.json'], 'the directory'),
    (['profile', '{root}/bad-shapes'], "config.json's edgemin_shapes"),
    (['profile', '{root}/nothing-here'], 'does not exist'),
    (['data', 'sst2', '--data-dir', '{root}/nothing-here'], 'nothing-here'),
    (['data', 'sst9', '--data-dir', '{root}'], "TASK='sst9' is not a GLUE task. Did you mean 'sst2'"),
]

@pytest.mark.parametrize('argv,msg', CLI_CASES, ids=[' '.join(c[0][:2] + c[0][-2:]) for c in CLI_CASES])
def test_commands_refuse_bad_input_in_one_line(world, argv, msg):
    root, _ = world
    before = snapshot(root)
    rc, err = cli([a.replace('{root}', str(root)) for a in argv])
    assert rc == 2 and msg in err and 'Traceback' not in err, err
    assert len([l for l in err.splitlines() if 'error' in l.lower()]) == 1, err      # one message (progress bars aside)
    assert snapshot(root) == before

def test_a_truncated_onnx_file_and_a_long_field(world, tmp_path):
    root, _ = world
    from edgemin.checkpoint import load_model
    from edgemin.quantize import QuantizeConfig, quantize
    from edgemin.bundle import save_bundle
    from edgemin.data import load_tokenizer
    q, r = quantize(load_model(root/'tiny-bert'), QuantizeConfig())
    b = save_bundle(q, tmp_path/'bundle', load_tokenizer(root/'tiny-bert'), r)
    with open(b/'model.onnx', 'r+b') as f: f.truncate(5000)
    rc, err = cli(['profile', str(b), '--seq-len', '16', '--runs', '1'])
    assert rc == 2 and 'model.onnx: not a readable ONNX model' in err and 'Traceback' not in err, err
    from edgemin.data import read_glue_tsv
    with pytest.raises(DataError, match=r'long.tsv: a field is longer than 131,072 characters'): read_glue_tsv(root/'SST-2'/'long.tsv', 'sst2')

LABEL_CASES = [   # (training labels, dev labels, regression, message)
    (['1', '1'], ['1'], False, "holds 1 class (['1']); a classifier needs at least two"),
    (['1', '2'], ['0'], False, "label '0' is not one of ['1', '2']"),
    (['pos', 'neg', ''], ['pos'], False, 'the label is missing'),
    (['pos', 'neg', 'nan'], ['pos'], False, 'the label is missing'),
    (['0.5', 'NaN'], ['1.0'], True, 'the label is missing'),
]

@pytest.mark.parametrize('train,dev,regression,msg', LABEL_CASES)
def test_custom_labels_that_would_train_a_worthless_model(tmp_path, train, dev, regression, msg):
    (tmp_path/'t.csv').write_text('text,label\n' + ''.join(f'x{i},{v}\n' for i, v in enumerate(train)))
    (tmp_path/'d.csv').write_text('text,label\n' + ''.join(f'y{i},{v}\n' for i, v in enumerate(dev)))
    with pytest.raises(DataError, match=msg.replace('(', r'\(').replace(')', r'\)').replace('[', r'\[').replace(']', r'\]')):
        load_task(custom_task('mine', 'text', regression=regression), data_files={'train': tmp_path/'t.csv', 'validation': tmp_path/'d.csv'})

def test_api_errors_name_the_value(world):
    root, tiny = world
    from edgemin.profile import latency
    from edgemin.checkpoint import load_model
    from edgemin.teacher import load_teacher
    with pytest.raises(ValueError, match='threads must be a whole number >= 1'): latency(load_model(root/'tiny-bert'), seq_len=16, threads=0)
    with pytest.raises(ModelError, match='weights do not fit its config.json'): load_teacher(root/'wrong-size', task='sst2')
    with pytest.raises(ConfigError, match=r"data.train_fraction=1.5 is out of range"):
        RunConfig.from_dict({**tiny, 'data': {**tiny['data'], 'train_fraction': 1.5}})

def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(world, monkeypatch, tmp_path):
    "The disk fills while the fine-tuned teacher is written to the cache: one message, and no partial cache entry."
    root, _ = world
    import errno, edgemin.teacher as teacher
    def full(model, folder, tokenizer=None):
        (folder/'model.safetensors').write_bytes(b'partial')
        raise OSError(errno.ENOSPC, 'No space left on device', str(folder/'model.safetensors'))
    monkeypatch.setattr(teacher, 'write_model', full)
    monkeypatch.setenv('EDGEMIN_CACHE', str(tmp_path/'cache'))
    rc, err = cli(['finetune', '--task', 'sst2', '--teacher', str(root/'tiny-bert'), '--data-dir', str(root), '--max-steps', '1'])
    assert rc == 2 and 'edgemin finetune: error: the disk is full:' in err and 'Traceback' not in err, err
    assert not any(p.is_file() for p in (tmp_path/'cache').rglob('*')), list((tmp_path/'cache').rglob('*'))

def test_a_second_run_on_a_directory_in_use_is_refused(world):
    root, tiny = world
    out = root/'runs-locked'/'r'
    with run_lock(out):                                  # another `edgemin run` holds it
        rc, err = cli(['run', '--out', str(out), *overrides(root, tiny)])
    assert rc == 2 and f'is in use by PID {os.getpid()}' in err and 'Traceback' not in err, err
    assert not (out/'config.json').exists()

def test_resume_redoes_a_damaged_stage_and_refuses_an_edited_config(world):
    root, tiny = world
    cfg = RunConfig.from_dict({**tiny, 'stages': ['distill', 'quantize']})
    out = root/'runs-damage'/'r'
    rep = run(cfg, out, progress=False)
    with open(out/'quantize'/'model.onnx', 'r+b') as f: f.truncate(5000)
    log = io.StringIO()
    with contextlib.redirect_stdout(log): rep2 = run(cfg, out, progress=False)
    assert 'model.onnx has 5,000 bytes, its record says' in log.getvalue()
    assert [s['metrics'] for s in rep2.data['stages']] == [s['metrics'] for s in rep.data['stages']]
    assert [s['size_bytes'] for s in rep2.data['stages']] == [s['size_bytes'] for s in rep.data['stages']]
    c = json.loads((out/'config.json').read_text())
    c['config']['distill']['max_steps'] = 99                # edited by hand, the digest kept
    (out/'config.json').write_text(json.dumps(c))
    with pytest.raises(ConfigError, match=r'changed: distill.max_steps: 99 -> 8'): run(cfg, out, progress=False)
