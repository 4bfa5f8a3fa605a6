namespace HeadAtlas.Projection;

/// <summary>
/// The low-dimensional similarity curve of UMAP, 1 / (1 + a·r^(2b)), fitted by least squares to the target
/// "1 within min_dist, then exp(−(r − min_dist)/spread)" on 300 points of [0, 3·spread], as umap-learn does.
/// </summary>
public static class UmapCurve
{
    public static (double A, double B) Fit(double minDist, double spread)
    {
        if (!(spread > 0)) throw new ArgumentException($"spread must be positive (got {spread})");
        if (!(minDist >= 0) || minDist > spread) throw new ArgumentException($"min_dist must be in [0, spread = {spread}] (got {minDist})");
        const int m = 300;
        var x = new double[m]; // [m]
        var target = new double[m]; // [m]
        for (int t = 0; t < m; t++)
        {
            x[t] = 3 * spread * t / (m - 1);
            target[t] = x[t] < minDist ? 1 : Math.Exp(-(x[t] - minDist) / spread);
        }

        // Levenberg–Marquardt on the two parameters, from (1, 1).
        double a = 1, b = 1, lambda = 1e-3;
        double cost = Cost(x, target, a, b);
        for (int iter = 0; iter < 500; iter++)
        {
            double jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
            for (int t = 0; t < m; t++)
            {
                if (x[t] == 0) continue; // f = 1 there whatever a, b: no gradient
                double p = Math.Pow(x[t], 2 * b);
                double den = 1 + a * p;
                double f = 1 / den;
                double r = f - target[t];
                double da = -p / (den * den);
                double db = -a * p * 2 * Math.Log(x[t]) / (den * den);
                jaa += da * da; jab += da * db; jbb += db * db;
                ga += da * r; gb += db * r;
            }
            bool improved = false;
            for (int tries = 0; tries < 30 && !improved; tries++)
            {
                double m00 = jaa * (1 + lambda), m11 = jbb * (1 + lambda), det = m00 * m11 - jab * jab;
                double stepA = -(m11 * ga - jab * gb) / det, stepB = -(m00 * gb - jab * ga) / det;
                double na = a + stepA, nb = b + stepB;
                double newCost = na > 0 && nb > 0 ? Cost(x, target, na, nb) : double.PositiveInfinity;
                if (newCost < cost)
                {
                    bool converged = cost - newCost < 1e-15 * Math.Max(1, cost);
                    a = na; b = nb; cost = newCost; lambda = Math.Max(lambda / 10, 1e-12); improved = true;
                    if (converged) return (a, b);
                }
                else lambda *= 10;
            }
            if (!improved) break;
        }
        return (a, b);
    }

    private static double Cost(double[] x, double[] target, double a, double b)
    {
        double sum = 0;
        for (int t = 0; t < x.Length; t++)
        {
            double f = 1 / (1 + a * Math.Pow(x[t], 2 * b));
            sum += (f - target[t]) * (f - target[t]);
        }
        return sum;
    }
}
