namespace BlitzScale.Silo.Api;

/// <summary>The chat formats rendered here (in C#, not by a Jinja engine), recognised from <c>chat_template</c>.</summary>
internal enum ChatTemplateFamily
{
    /// <summary>No template: <c>role: content</c> lines and an open <c>assistant:</c> turn (the stories models).</summary>
    Plain,
    /// <summary>Llama-2 chat: <c>[INST] &lt;&lt;SYS&gt;&gt;…&lt;&lt;/SYS&gt;&gt; … [/INST]</c>.</summary>
    Llama2,
    /// <summary>Llama-3: <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;</c> … <c>&lt;|eot_id|&gt;</c>.</summary>
    Llama3,
    /// <summary>Mistral instruct: <c>[INST] … [/INST]</c>, no system block (a system message opens the first user turn).</summary>
    Mistral,
    /// <summary>ChatML (Qwen2): <c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;</c>.</summary>
    ChatMl,
}
