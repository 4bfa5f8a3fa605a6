namespace HeadAtlas.Tensors;

/// <summary>
/// Double-precision erf and erfc (.NET has no Math.Erf): a Maclaurin series below 2.5 and a continued fraction
/// for erfc above, both to ~1e-15. Slow-ish; they serve as the reference and to fit the fast float GELU.
/// </summary>
public static class ErfMath
{
    private const double TwoOverSqrtPi = 1.1283791670955126; // 2/√π
    private const double SqrtPi = 1.7724538509055159;

    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        double r = ax < 2.5 ? Series(ax) : 1 - ErfcContinuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>1 − erf(x) without the cancellation of computing it that way for large x.</summary>
    public static double Erfc(double x)
    {
        double ax = Math.Abs(x);
        double tail = ax < 2.5 ? 1 - Series(ax) : ErfcContinuedFraction(ax);
        return x < 0 ? 2 - tail : tail;
    }

    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)); for x < 2.5 the largest term is < 20, so ~1e-15 absolute.
    private static double Series(double ax)
    {
        double term = ax, sum = ax, x2 = ax * ax;
        for (int n = 1; n < 100; n++)
        {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
        }
        return sum * TwoOverSqrtPi;
    }

    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …)))), evaluated by Lentz's method.
    private static double ErfcContinuedFraction(double ax)
    {
        const double tiny = 1e-300;
        double f = ax, c = ax, d = 0;
        for (int n = 1; n < 500; n++)
        {
            double an = n * 0.5;
            d = ax + an * d; if (Math.Abs(d) < tiny) d = tiny; d = 1 / d;
            c = ax + an / c; if (Math.Abs(c) < tiny) c = tiny;
            double delta = c * d; f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-ax * ax) / (f * SqrtPi);
    }
}
