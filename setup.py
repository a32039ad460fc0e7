import re
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = re.search(
    r"__version__ = '([^']+)'", (here / 'consulate' / '_version.py').read_text()
).group(1)

setup(
    name='consulate',
    version=version,
    description='A Python client library and command-line tool for HashiCorp Consul',
    long_description=(here / 'README.rst').read_text(encoding='utf-8'),
    long_description_content_type='text/x-rst',
    license_expression='BSD-3-Clause',
    license_files=['LICENSE'],
    packages=find_packages(include=['consulate', 'consulate.*']),
    package_data={'consulate': ['py.typed']},
    python_requires='>=3.10',
    # requests 2.31 is the first without the Proxy-Authorization leak (CVE-2023-32681);
    # every request goes out through requests.Session.send; requests-unixsocket
    # mounts the http+unix:// adapter.
    install_requires=['requests>=2.31,<3', 'requests-unixsocket>=0.3'],
    extras_require={
        'test': [
            'pytest>=7',
            'pytest-timeout>=2',
            'hypothesis>=6',
            'responses>=0.23',
            'requests-mock>=1.11',
            'httmock>=1.4',
            'httpretty>=1.1',
            # the environments users run consulate in: gevent workers, tracing
            'gevent>=23',
            'opentelemetry-sdk>=1.20',
            'opentelemetry-instrumentation-requests>=0.41b0',
            'sphinx>=7',
            'ruff>=0.5',
            'mypy>=1.8',
            'types-requests',
            # checks answers against their TypedDict shapes at run time (tests/integration/test_shapes.py)
            'typeguard>=4.3',
            # the original consulate's test modules import these (tests/upgrade)
            'httmock>=1.4',
            'mock>=4',
        ],
        # benchmarks/run.py measures py-consul beside consulate
        'bench': ['py-consul>=1.5'],
    },
    entry_points={
        'console_scripts': ['consulate=consulate.cli:main'],
        'pytest11': ['consulate.pytest_plugin = consulate.pytest_plugin'],
    },
    classifiers=[
        'Development Status :: 4 - Beta',
        'Intended Audience :: Developers',
        'Intended Audience :: System Administrators',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3 :: Only',
        'Topic :: System :: Distributed Computing',
        'Typing :: Typed',
    ],
)
