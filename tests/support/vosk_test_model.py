"""Write a tiny Vosk model from scratch so tests can run the real libvosk.

No English Vosk model can be installed on development or CI machines, so this
writes one (about 2 KB, standard library only) that libvosk loads and decodes
for real. It recognises *sound*, not language: every stretch of loud audio
becomes one word, silence becomes nothing. The layout and numbers follow
/work/shared/docs/vosk-test-model.md.

Phones: 1 = silence, 2 = speech. Pdfs: 0 = silence, 1 = speech.
Transition ids: 1 = silence self-loop, 2 = silence exit, 3 = speech self-loop,
4 = speech exit.
"""
from __future__ import annotations

import math
import shutil
import struct
from pathlib import Path
from typing import Sequence

SIL_LOOP, SIL_EXIT, SPEECH_LOOP, SPEECH_EXIT = 1, 2, 3, 4
WORD_PENALTY = 8.0
ENERGY_THRESHOLD = 14.0  # log energy; about RMS 55 in int16 counts
FST_MAGIC = 2125659606
FST_EXPANDED_MUTABLE = 0x3
FST_ACCEPTOR = 0x10000
FST_ILABEL_SORTED = 0x10000000
FST_OLABEL_SORTED = 0x40000000

MFCC_CONF = ["--sample-frequency=16000", "--use-energy=true", "--dither=0",
             "--num-ceps=13", "--num-mel-bins=23"]
MODEL_CONF = ["--min-active=200", "--max-active=7000", "--beam=13.0", "--lattice-beam=6.0",
              "--acoustic-scale=1.0", "--frame-subsampling-factor=3",
              "--endpoint.silence-phones=1",
              "--endpoint.rule2.min-trailing-silence=0.5",
              "--endpoint.rule3.min-trailing-silence=1.0",
              "--endpoint.rule4.min-trailing-silence=2.0"]

Arc = tuple[int, int, float, int]  # input label, output label, cost, next state


def write_test_model(dest: Path, words: Sequence[str] = ("alpha",), grammar: bool = False) -> Path:
    """Write a model into `dest` and return it.

    The first word is the one recognised when no grammar is set. With `grammar`
    the graph is written in the runtime-grammar form (HCLr.fst, Gr.fst,
    disambig_tid.int) so `KaldiRecognizer(model, rate, '["a", "b"]')` and
    `SetGrammar` work and pick among all `words`.
    """
    if not words:
        raise ValueError("a test model needs at least one word")
    dest = Path(dest)
    word_ids = {word: index for index, word in enumerate(words, start=1)}
    _write_lines(dest / "conf" / "mfcc.conf", MFCC_CONF)
    _write_lines(dest / "conf" / "model.conf", MODEL_CONF)
    _write_text(dest / "am" / "final.mdl", _transition_model() + _nnet())
    _write_lines(dest / "graph" / "words.txt", _word_table(words))
    _write_lines(dest / "graph" / "phones" / "word_boundary.int", ["1 nonword", "2 singleton"])
    graph = dest / "graph"
    if grammar:
        _write_fst(graph / "HCLr.fst", _decoding_graph(list(word_ids.values())))
        default = word_ids[words[0]]
        _write_fst(graph / "Gr.fst", [(0.0, [(default, default, 0.0, 0)])],
                   extra_properties=FST_ACCEPTOR | FST_ILABEL_SORTED | FST_OLABEL_SORTED)
        _write_text(graph / "disambig_tid.int", "")
    else:
        _write_fst(graph / "HCLG.fst", _decoding_graph([word_ids[words[0]]]))
    return dest


def write_half_copied_model(dest: Path) -> Path:
    """A model whose copy stopped part-way: the graph is cut in half and the acoustic model is empty."""
    write_test_model(dest)
    hclg = dest / "graph" / "HCLG.fst"
    data = hclg.read_bytes()
    hclg.write_bytes(data[: len(data) // 2])
    (dest / "am" / "final.mdl").write_bytes(b"")
    return dest


def write_model_without(dest: Path, relative: str) -> Path:
    """A complete model with one file or folder (e.g. "am/final.mdl", "graph") removed."""
    write_test_model(dest)
    target = dest / relative
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    return dest


def write_corrupt_model(dest: Path) -> Path:
    """A model whose files are all present and whole but whose acoustic model libvosk can't parse."""
    write_test_model(dest)
    final = dest / "am" / "final.mdl"
    final.write_text(final.read_text().replace("<Nnet3> \n", "<Nnet3>\n"))
    return dest


def _transition_model() -> str:
    stay, leave = math.log(0.75), math.log(0.25)
    return (
        "<TransitionModel> \n<Topology> \n<TopologyEntry> \n<ForPhones> \n1 2 \n</ForPhones> \n"
        "<State> 0 <PdfClass> 0 <Transition> 0 0.75 <Transition> 1 0.25 </State> \n"
        "<State> 1 </State> \n</TopologyEntry> \n</Topology> \n"
        "<Triples> 2 \n1 0 0 \n2 0 1 \n</Triples> \n"
        f"<LogProbs> \n [ 0 {stay} {leave} {stay} {leave} ]\n</LogProbs> \n</TransitionModel> \n"
    )


def _nnet() -> str:
    """One affine layer + log-softmax: z = energy - threshold, silence logit -z/2, speech logit +z/2."""
    rows = [[-0.5] + [0.0] * 12, [0.5] + [0.0] * 12]
    bias = [ENERGY_THRESHOLD / 2, -ENERGY_THRESHOLD / 2]
    matrix = "\n".join("  " + " ".join(str(v) for v in row) for row in rows)
    return (
        "<Nnet3> \n"
        "input-node name=input dim=13\n"
        "component-node name=affine component=affine input=input\n"
        "component-node name=logsm component=logsm input=affine\n"
        "output-node name=output input=logsm objective=linear\n"
        "\n"
        "<NumComponents> 2 \n"
        f"<ComponentName> affine <FixedAffineComponent> <LinearParams>  [\n{matrix} ]\n"
        f"<BiasParams>  [ {bias[0]} {bias[1]} ]\n</FixedAffineComponent> \n"
        "<ComponentName> logsm <LogSoftmaxComponent> <Dim> 2 <ValueAvg>  [ ]\n"
        "<DerivAvg>  [ ]\n<Count> 0 </LogSoftmaxComponent> \n"
        "</Nnet3> \n"
        "<LeftContext> 0 <RightContext> 0 <Priors>  [ ]\n"
    )


def _word_table(words: Sequence[str]) -> list[str]:
    symbols = ["<eps>", *words, "#0", "<s>", "</s>"]
    return [f"{symbol} {index}" for index, symbol in enumerate(symbols)]


def _decoding_graph(word_ids: Sequence[int]) -> list[tuple[float, list[Arc]]]:
    """States: 0 start, 1 in silence, 2 in speech; all final. Each phone is its exit id, then self-loops."""
    word_arcs = [(SPEECH_EXIT, word, WORD_PENALTY, 2) for word in word_ids]
    return [
        (0.0, [(SIL_EXIT, 0, 0.0, 1), *word_arcs]),
        (0.0, [(SIL_LOOP, 0, 0.0, 1), (SIL_EXIT, 0, 0.0, 1), *word_arcs]),
        (0.0, [(SPEECH_LOOP, 0, 0.0, 2), (SIL_EXIT, 0, 0.0, 1)]),
    ]


def _write_fst(path: Path, states: list[tuple[float, list[Arc]]], extra_properties: int = 0) -> None:
    """OpenFst binary VectorFst with standard (tropical float) arcs, little-endian."""
    def string(text: str) -> bytes:
        return struct.pack("<i", len(text)) + text.encode()

    num_arcs = sum(len(arcs) for _, arcs in states)
    out = bytearray(struct.pack("<i", FST_MAGIC) + string("vector") + string("standard"))
    out += struct.pack("<iiQqqq", 2, 0, FST_EXPANDED_MUTABLE | extra_properties, 0, len(states), num_arcs)
    for final_cost, arcs in states:
        out += struct.pack("<fq", final_cost, len(arcs))
        for ilabel, olabel, cost, next_state in arcs:
            out += struct.pack("<iifi", ilabel, olabel, cost, next_state)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))


def _write_lines(path: Path, lines: Sequence[str]) -> None:
    _write_text(path, "".join(line + "\n" for line in lines))


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
