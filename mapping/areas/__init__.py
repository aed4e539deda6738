"""Administrative areas: reading boundary files, the index that places points, the download.

May import the kernel and storage only.
"""
