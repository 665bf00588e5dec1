using BlitzScale.Silo.Api;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>
/// Each chat format against the text its published template renders with add_generation_prompt, less the leading BOS
/// (the instance adds it). The expected strings are checked by tests/Silo.Tests/Api/jinja (the templates rendered by
/// @huggingface/jinja) where that reference is present.
/// </summary>
public sealed class ChatTemplateTests
{
    private static readonly ChatMessage[] Chat =
    [
        new("system", "You are terse."),
        new("user", "Hi there"),
        new("assistant", "Hello."),
        new("user", "Tell me a story"),
    ];

    [Theory]
    [InlineData("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>...", "Llama3")]
    [InlineData("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}...", "ChatMl")]
    [InlineData("{% if messages[0]['role'] == 'system' %}<<SYS>>\n{% endif %}{{ bos_token + '[INST] ' }}", "Llama2")]
    [InlineData("{{ bos_token }}{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}", "Mistral")]
    [InlineData(null, "Plain")]
    [InlineData("{{ messages }}", "Plain")]
    public void The_family_is_recognised_from_the_template(string? template, string family) =>
        Assert.Equal(family, ChatTemplate.Recognise(template).Family.ToString());

    [Fact]
    public void Plain_writes_role_lines_and_opens_the_assistants_turn() =>
        Assert.Equal("system: You are terse.\nuser: Hi there\nassistant: Hello.\nuser: Tell me a story\nassistant:",
            new ChatTemplate(ChatTemplateFamily.Plain).Render(Chat));

    [Fact]
    public void Llama2_puts_the_system_message_in_the_first_instruction() =>
        Assert.Equal("[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello. </s><s>[INST] Tell me a story [/INST]",
            new ChatTemplate(ChatTemplateFamily.Llama2).Render(Chat));

    [Fact]
    public void Llama3_writes_a_header_block_per_message_and_opens_the_assistants() =>
        Assert.Equal(
            "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nTell me a story<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            new ChatTemplate(ChatTemplateFamily.Llama3).Render(Chat));

    [Fact]
    public void Mistral_alternates_instructions_and_answers_ending_each_answer_with_eos() =>
        Assert.Equal("[INST] You are terse.\n\nHi there [/INST]Hello.</s>[INST] Tell me a story [/INST]",
            new ChatTemplate(ChatTemplateFamily.Mistral).Render(Chat));

    [Fact]
    public void ChatMl_wraps_each_message_and_qwen_adds_its_default_system_message_when_none_is_given()
    {
        Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n" +
            "<|im_start|>user\nTell me a story<|im_end|>\n<|im_start|>assistant\n",
            new ChatTemplate(ChatTemplateFamily.ChatMl, qwenDefaultSystem: true).Render(Chat));
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.Recognise("<|im_start|>system\nYou are a helpful assistant.<|im_end|>").Render([new("user", "Hi")]));
    }

    [Fact]
    public void Formats_that_alternate_refuse_two_user_turns_in_a_row()
    {
        var refused = Assert.Throws<ApiException>(() => new ChatTemplate(ChatTemplateFamily.Mistral).Render([new("user", "a"), new("user", "b")]));
        Assert.Equal(400, refused.Status);
        Assert.Equal("messages", refused.Param);
        Assert.Contains("found user at turn 1", refused.Message);
    }
}
