"""Reference numbers for worker-ops' org.sparkdp.ops.privacy tests (LogMathTest, RdpIntegralTest).

Run once with /usr/bin/python3 (mpmath 1.3) and pasted into the tests as literals:
  python3 worker-ops/src/test/python/privacy_reference.py
Independent of the Java code and of Opacus / TensorFlow Privacy: 60-digit arithmetic, erfc by
mpmath, A_alpha by mpmath's adaptive quadrature of its defining integral
  A_alpha = int N(z; 0, sigma^2) ((1 - q) + q exp((2z - 1) / (2 sigma^2)))^alpha dz
(Mironov, Talwar, Zhang 2019, section 3.3), split at the peaks so the quadrature sees them.
"""
import mpmath as mp

mp.mp.dps = 60

print("# log(erfc(x))")
for x in ["-3", "-0.5", "0", "0.3", "1.2", "1.25", "3", "5", "27", "300"]:
    print(f"{x}: {mp.nstr(mp.log(mp.erfc(mp.mpf(x))), 17)}")


def log_a(q, sigma, alpha):
    q, sigma, alpha = mp.mpf(q), mp.mpf(sigma), mp.mpf(alpha)

    def f(z):
        mix = (1 - q) + q * mp.exp((2 * z - 1) / (2 * sigma**2))
        return mp.npdf(z, 0, sigma) * mix**alpha

    points = [-mp.inf] + [mp.mpf(k) for k in range(-2, int(alpha) + 3)] + [mp.inf]
    return mp.log(mp.quad(f, points))


print("# log(A_alpha): q, sigma, alpha, log A")
for q, sigma, alpha in [
    ("0.01", "2.5", "1.5"),
    ("0.01", "2.5", "5"),
    ("0.1", "1", "2.5"),
    ("0.1", "1", "12"),
    ("0.5", "0.8", "7.3"),
    ("0.004266666666666667", "1.1", "10.5"),
    ("0.9", "3", "33"),
]:
    print(f"{q}, {sigma}, {alpha}: {mp.nstr(log_a(q, sigma, alpha), 17)}")
