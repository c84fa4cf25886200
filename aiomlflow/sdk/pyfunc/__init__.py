"""The python_function ("pyfunc") flavour: PythonModel, save/log/load, PyFuncModel."""
