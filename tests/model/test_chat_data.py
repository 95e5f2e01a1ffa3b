"""Loss mask: exactly the assistant tokens, end-of-turn included, with SmolLM2's chat template."""

from transformers import AutoTokenizer

from tuneops.chat_data import IGNORE_INDEX, length_grouped_batches, tokenize_chat

MESSAGES = [
    {"role": "system", "content": "Triage."},
    {"role": "user", "content": "My order is late."},
    {"role": "assistant", "content": '{"category": "shipping"}'},
    {"role": "user", "content": "And the invoice?"},
    {"role": "assistant", "content": '{"category": "billing"}'},
]


def test_mask_covers_exactly_assistant_turns_and_eos(default_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(default_model_dir)
    ids, labels = tokenize_chat(tokenizer, MESSAGES, 512)
    full = tokenizer.apply_chat_template(MESSAGES, tokenize=False)
    # Same tokens as tokenising the whole rendered conversation.
    assert tokenizer.decode(ids) == full
    trained = [i for i, label in zip(ids, labels) if label != IGNORE_INDEX]
    eos = tokenizer.eos_token
    expected = tokenizer('{"category": "shipping"}' + eos + '{"category": "billing"}' + eos, add_special_tokens=False)["input_ids"]
    assert trained == expected
    assert trained.count(tokenizer.eos_token_id) == 2
    # Labels equal inputs wherever they are set.
    assert all(label in (IGNORE_INDEX, token) for token, label in zip(ids, labels))


def test_truncation_keeps_ids_and_labels_aligned(default_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(default_model_dir)
    ids, labels = tokenize_chat(tokenizer, MESSAGES, 10)
    assert len(ids) == len(labels) == 10


def test_length_grouped_batches_cover_every_example_once():
    lengths = [5, 50, 7, 48, 6, 49, 8, 51] * 10
    batches = length_grouped_batches(lengths, 4, seed=1, epoch=0)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert batches == length_grouped_batches(lengths, 4, seed=1, epoch=0)
    # Grouping keeps padding low: most batches are all-short or all-long.
    spreads = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    assert sum(s <= 3 for s in spreads) >= len(batches) * 0.8
