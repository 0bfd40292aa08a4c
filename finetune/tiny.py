"""Tiny randomly initialised models with real tokenizers, built offline in a second: for smoke-testing
the training and loading pipelines end to end without any downloaded weights."""

from pathlib import Path

CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tiny_tokenizer(extra_special_tokens: tuple[str, ...] = ()):
    """A byte-level BPE tokenizer (every text encodes) with ChatML special tokens and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", *extra_special_tokens]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    # a few whole-word merges, as real tokenizers have for common words (" Yes" is one token there too)
    bpe.train_from_iterator([" gene protein pathway function the of and in Yes No cell type marker"] * 2, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
        additional_special_tokens=list(extra_special_tokens),
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def _tiny_llama_config(vocab_size: int, tokenizer):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        # wider than the usual 0.02, so a 32-wide output layer can express confident predictions at all
        initializer_range=0.3,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def build_tiny_llm(out: Path, seed: int = 0) -> Path:
    """A 2-layer Llama causal LM with random weights, saved as a normal HF folder."""
    import torch
    from transformers import LlamaForCausalLM

    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    model = LlamaForCausalLM(_tiny_llama_config(len(tokenizer), tokenizer))
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out = Path(out)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_tiny_llava(out: Path, seed: int = 0, image_size: int = 32, patch_size: int = 8) -> Path:
    """A LLaVA-style model from a tiny CLIP vision tower and a tiny Llama, random weights, with a processor
    whose tokenizer knows the <image> token."""
    import torch
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer(extra_special_tokens=("<image>",))
    tokenizer.chat_template = None  # prompted in the LLaVA-1.5 "USER: <image>\n... ASSISTANT:" layout
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                              image_size=image_size, patch_size=patch_size, projection_dim=32)
    config = LlavaConfig(
        vision_config=vision,
        text_config=_tiny_llama_config(len(tokenizer), tokenizer),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    model = LlavaForConditionalGeneration(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": image_size},
                                           crop_size={"height": image_size, "width": image_size}),
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's class token, dropped by the "default" strategy
    )
    out = Path(out)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out
