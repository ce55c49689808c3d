from setuptools import find_packages, setup


def read_version() -> str:
    namespace: dict = {}
    with open('stdpose_mm/version.py', encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='stdpose_mm',
    version=read_version(),
    description='STDPose + semantic motion video pose estimation for MMPose 1.x',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    # The configs travel with the package (stdpose_mm/.mim/configs links to configs/), so
    # other projects can inherit them: see stdpose_mm/config_path.py.
    package_data={'stdpose_mm': ['.mim/configs/*.py', '.mim/configs/**/*.py']},
    python_requires='>=3.9',
    install_requires=[
        'mmengine==0.10.7',
        'mmpose==1.3.2',
        'mmcv>=2.0.0,<2.2.0',
        'mmpretrain==1.2.0',  # ViTPose's backbone (UpsampledVisionTransformer subclasses it)
        'tqdm',
    ],
    extras_require={'tests': ['pytest', 'ruff'], 'det': ['mmdet==3.3.0']},
)
