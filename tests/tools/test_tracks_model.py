"""Enformer through enformer-pytorch, on a tiny random configuration (real bins, real 5,313 outputs)."""

import numpy as np
import pytest

from kg.paths import data_dir
from tools.tracks.errors import ModelNotConfigured, SequenceError, WeightsError
from tools.tracks.model import WEIGHTS_ENV, ModelConfig, load_enformer
from tools.tracks.predict import Prediction, predict_windows
from tools.tracks.sequence import one_hot, read_fasta_record


@pytest.fixture(scope="module")
def tiny():
    return load_enformer(ModelConfig.tiny(device="cpu", batch_size=2))


@pytest.fixture(scope="module")
def windows(tiny):
    _, sequence = read_fasta_record(data_dir() / "enformer" / "small_examples" / "basenji_gata4.fa")
    length = tiny.sequence_length
    return np.stack([one_hot(sequence[i * length : (i + 1) * length]) for i in range(3)])


def test_tiny_model_predicts_all_human_tracks_in_128_bp_bins(tiny, windows):
    out = predict_windows(tiny, windows)
    assert tiny.bin_size == 128
    assert out.shape == (3, tiny.target_length, 5313)
    assert np.isfinite(out).all() and (out > 0).all()  # softplus outputs
    assert not np.allclose(out[0], out[1])  # different sequence, different prediction


def test_batching_does_not_change_predictions(tiny, windows):
    together = predict_windows(tiny, windows)  # batches of 2 and 1
    alone = np.concatenate([predict_windows(tiny, windows[i : i + 1]) for i in range(3)])
    np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-5)


def test_reverse_complement_average_is_strand_symmetric(tiny, windows):
    forward = predict_windows(tiny, windows[:1], reverse_complement_average=True)
    reverse = predict_windows(tiny, windows[:1, ::-1, ::-1].copy(), reverse_complement_average=True)
    np.testing.assert_allclose(forward[0], reverse[0, ::-1], rtol=1e-4, atol=1e-5)
    assert not np.allclose(forward, predict_windows(tiny, windows[:1]))


def test_wrong_length_or_shape_is_refused(tiny, windows):
    with pytest.raises(SequenceError, match=f"windows are 16,383 bp but the model reads {tiny.sequence_length:,} bp"):
        predict_windows(tiny, windows[:, :-1])
    with pytest.raises(SequenceError, match=r"shape \(batch, length, 4\)"):
        predict_windows(tiny, windows[0])


def test_weights_folder_round_trip(tiny, windows, tmp_path):
    tiny.model.save_pretrained(tmp_path / "weights", safe_serialization=False)  # pytorch_model.bin, like the official conversion
    reloaded = load_enformer(ModelConfig(weights=str(tmp_path / "weights"), sequence_length=16_384, device="cpu"))
    assert reloaded.target_length == tiny.target_length
    np.testing.assert_allclose(predict_windows(reloaded, windows[:1]), predict_windows(tiny, windows[:1]), rtol=1e-5)


def test_missing_or_broken_weights_give_clear_errors(tmp_path, monkeypatch):
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    with pytest.raises(ModelNotConfigured, match="EleutherAI/enformer-official-rough"):
        ModelConfig.from_env()
    with pytest.raises(WeightsError, match="no config.json"):
        load_enformer(ModelConfig(weights=str(tmp_path)))
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(WeightsError, match="cannot load Enformer weights"):
        load_enformer(ModelConfig(weights=str(tmp_path)))
    with pytest.raises(WeightsError, match="multiple of 128 bp"):
        load_enformer(ModelConfig.tiny(sequence_length=1000))


def test_prediction_folder_round_trip_and_bad_folders(tiny, windows, tmp_path):
    from tools.tracks.predict import Layout, PredictionMeta

    signal = predict_windows(tiny, windows[:1])[0]
    meta = PredictionMeta(layout=Layout(bin_size=128, n_bins=signal.shape[0]), model=tiny.name, source="test",
                          track_indices=list(range(5313)))
    Prediction(signal, meta).save(tmp_path / "p")
    loaded = Prediction.load(tmp_path / "p")
    assert np.array_equal(loaded.signal, signal) and loaded.meta == meta
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["prediction.json", "tracks.npy"]
    np.save(tmp_path / "p" / "tracks.npy", signal[:10])
    from tools.tracks.errors import TrackFileError

    with pytest.raises(TrackFileError, match="has shape"):
        Prediction.load(tmp_path / "p")
    with pytest.raises(TrackFileError, match="not a prediction folder"):
        Prediction.load(tmp_path)
