namespace ImageEmbed.Models.Tokenizers;

/// <summary>
/// What a text tower needs from its tokenizer: token ids with the model's special tokens, and the
/// fixed-length window the encoder takes. Implementations are immutable and thread-safe.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Token ids of <paramref name="text"/> with the model's special tokens, untruncated (for counting and debugging).</summary>
    /// <exception cref="TokenizerException">The text needs a symbol the vocabulary lacks and the file defines no unknown token.</exception>
    int[] Encode(string text);

    /// <summary>
    /// Writes the encoder's fixed-length input for user text: the tokens, cut so that the end token is still
    /// last, then padding up to <paramref name="contextLength"/>. Special tokens spelled out in the text are
    /// plain characters, so no text can end itself early.
    /// </summary>
    /// <returns>The number of real tokens (special tokens included, padding not).</returns>
    int Encode(string text, int contextLength, Span<long> ids, Span<long> attentionMask);
}
