"""Sequence input for Enformer: encoding, padding, reverse complement, FASTA access."""

import numpy as np
import pytest

from kg.paths import data_dir
from tools.tracks.errors import SequenceError
from tools.tracks.sequence import GenomeFasta, one_hot, pad_to_window, read_fasta_record, reverse_complement

GATA4_FASTA = data_dir() / "enformer" / "small_examples" / "basenji_gata4.fa"


def test_one_hot_columns_follow_acgt_and_n_is_empty():
    encoded = one_hot("ACGTNacgtn")
    assert encoded.shape == (10, 4) and encoded.dtype == np.float32
    assert encoded[:4].argmax(axis=1).tolist() == [0, 1, 2, 3]
    assert np.array_equal(encoded[:5], encoded[5:])
    assert encoded[4].sum() == 0


@pytest.mark.parametrize("sequence, letter, position", [("ACGTXACG", "X", 5), ("ACGU", "U", 4), ("AC-GT", "-", 3)])
def test_letters_outside_the_alphabet_are_named_with_their_position(sequence, letter, position):
    with pytest.raises(SequenceError, match=rf"'{letter}'.*position {position}\)"):
        one_hot(sequence)


def test_ambiguity_codes_are_refused_in_raw_sequences_and_read_as_n_from_genomes():
    with pytest.raises(SequenceError, match="'R'"):
        one_hot("ACGR")
    assert one_hot("ACGR", allow_ambiguity=True)[3].sum() == 0


def test_reverse_complement_of_one_hot_is_one_hot_of_reverse_complement():
    _, sequence = read_fasta_record(GATA4_FASTA)
    piece = sequence[5000:6000]
    complement = piece[::-1].translate(str.maketrans("ACGT", "TGCA"))
    assert np.array_equal(reverse_complement(one_hot(piece)), one_hot(complement))


def test_padding_centres_the_sequence_in_n_and_refuses_longer_sequences():
    window, left = pad_to_window(one_hot("ACGTA"), 10)
    assert left == 2 and window.shape == (10, 4)
    assert window[:2].sum() == 0 and window[7:].sum() == 0 and window[2:7].sum() == 5
    with pytest.raises(SequenceError, match="11 bp but the model reads windows of 10 bp"):
        pad_to_window(one_hot("A" * 11), 10)
    with pytest.raises(SequenceError, match="empty"):
        pad_to_window(one_hot(""), 10)


def test_real_gata4_fasta_record():
    name, sequence = read_fasta_record(GATA4_FASTA)
    assert name == "chr8:11496144-11627216"
    assert len(sequence) == 11627216 - 11496144 == 131_072
    assert set(sequence) <= set("ACGT")


def test_unreadable_fasta_files_give_clear_errors(tmp_path):
    with pytest.raises(SequenceError, match="cannot read FASTA"):
        read_fasta_record(tmp_path / "missing.fa")
    (tmp_path / "plain.txt").write_text("ACGT\n")
    with pytest.raises(SequenceError, match="no '>' header"):
        read_fasta_record(tmp_path / "plain.txt")
    (tmp_path / "two.fa").write_text(">a\nAC\n>b\nGT\n")
    assert read_fasta_record(tmp_path / "two.fa", "b") == ("b", "GT")
    with pytest.raises(SequenceError, match="no record named 'c'"):
        read_fasta_record(tmp_path / "two.fa", "c")


def test_genome_windows_are_n_padded_past_contig_ends(tmp_path):
    _, sequence = read_fasta_record(GATA4_FASTA)
    genome_path = tmp_path / "genome.fa"
    contig = sequence[:1000]
    genome_path.write_text(">chr8\n" + "\n".join(contig[i : i + 60] for i in range(0, 1000, 60)) + "\n")
    genome = GenomeFasta(genome_path)
    assert genome.window("8", 10, 20) == contig[10:20]  # '8' finds 'chr8'
    assert genome.window("chr8", -5, 5) == "NNNNN" + contig[:5]
    assert genome.window("chr8", 995, 1003) == contig[995:] + "NNN"
    with pytest.raises(SequenceError, match="lies outside chr8"):
        genome.window("chr8", 2000, 2100)
    with pytest.raises(SequenceError, match="chromosome 'chr9' is not in"):
        genome.window("chr9", 0, 10)
    with pytest.raises(SequenceError, match="genome FASTA not found"):
        GenomeFasta(tmp_path / "absent.fa")
