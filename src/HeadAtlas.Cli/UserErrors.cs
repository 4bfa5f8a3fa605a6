using HeadAtlas.Models;

namespace HeadAtlas.Cli;

/// <summary>Which exceptions are the user's input at fault (print the message, exit 1) rather than our bug.</summary>
public static class UserErrors
{
    public static bool IsUserError(Exception e) =>
        e is ModelException || e is FileNotFoundException || e is DirectoryNotFoundException
        || e.GetType().Name.EndsWith("InputException", StringComparison.Ordinal);
}
