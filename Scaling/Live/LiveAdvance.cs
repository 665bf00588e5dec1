namespace BlitzScale.Scaling.Live;

/// <summary>One planned advance: run request <paramref name="Id"/>'s prompt through layers [<paramref name="FromLayer"/>, <paramref name="EndLayer"/>) on LiveNew.</summary>
/// <param name="Id">The request.</param>
/// <param name="FromLayer">The first layer to run (the layers it has run so far).</param>
/// <param name="EndLayer">One past the last layer to run (the layers loaded when planned).</param>
/// <param name="PromptTokens">Its prompt tokens, what the advance costs.</param>
public readonly record struct LiveAdvance(string Id, int FromLayer, int EndLayer, int PromptTokens);
