# PySpark loads a saved Pipeline's stages by their JVM class names (org.sparkdp.ml.SequentialModel): this package
# path leads there. It shares the name "org" with others' packages.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
