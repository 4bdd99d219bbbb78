"""The peers of the loader benchmark: PyTorch DataLoaders over an ImageFolder tree.

    python peer_loaders.py DATA {torchvision,albumentations,augment-dataset} [--workers 2] [--batch 64] [--size 224]

Prints one line ending in "<n> images/s" (what `loader.py --torch-python`
reads). Both produce 224x224 NCHW float32 batches, ImageNet-normalised, with
RandomResizedCrop(224) (scale 0.08-1, ratio 3/4-4/3) and a horizontal flip:

- `torchvision`: `torchvision.datasets.ImageFolder` (Pillow decoding) with the
  v2 transforms RandomResizedCrop, RandomHorizontalFlip, ToImage, ToDtype
  (float32, scaled) and Normalize;
- `albumentations`: the same files decoded by OpenCV (`cv2.imread`, BGR to
  RGB), albumentations' RandomResizedCrop, HorizontalFlip and Normalize,
  then `ToTensorV2`. OpenCV's own threads are turned off in each worker, as
  albumentations' documentation advises for DataLoader workers;
- `augment-dataset`: this package's `augment.torch.ImageFolder` (the
  two-line change from torchvision) with `random_resized_crop(224, 224)`
  and `flip_horizontal(p=0.5)`, in the same DataLoader: what a torchvision
  script gains without moving to `augment.Loader`.

Needs torch and torchvision (and albumentations with opencv-python-headless
for the second); never imported by the package or its tests.
"""

from __future__ import annotations

import argparse
import time

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def torchvision_dataset(root: str, size: int):
    import torch
    import torchvision
    from torchvision.transforms import v2

    transform = v2.Compose([
        v2.RandomResizedCrop(size, antialias=True),
        v2.RandomHorizontalFlip(),
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(MEAN, STD),
    ])
    return torchvision.datasets.ImageFolder(root, transform=transform)


class AlbumentationsFolder:
    """ImageFolder's layout and labels, OpenCV decoding, albumentations."""

    def __init__(self, root: str, size: int):
        import albumentations as A
        import torchvision
        from albumentations.pytorch import ToTensorV2

        self.samples = torchvision.datasets.ImageFolder(root).samples
        self.transform = A.Compose([
            A.RandomResizedCrop(size=(size, size)),
            A.HorizontalFlip(),
            A.Normalize(mean=MEAN, std=STD),
            ToTensorV2(),
        ])

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        import cv2

        path, label = self.samples[i]
        image = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        return self.transform(image=image)["image"], label


def augment_dataset(root: str, size: int):
    import augment
    import augment.torch

    pipeline = augment.Pipeline.builder().random_resized_crop(size, size).flip_horizontal(p=0.5).seed(0).build()
    return augment.torch.ImageFolder(root, pipeline)


def no_opencv_threads(_worker: int) -> None:
    import cv2

    cv2.setNumThreads(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", help="an ImageFolder tree")
    parser.add_argument("peer", choices=["torchvision", "albumentations", "augment-dataset"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--epochs", type=int, default=1,
                        help="epochs in this one process (workers start again each epoch, as by default)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    if args.peer == "torchvision":
        dataset, init = torchvision_dataset(args.data, args.size), None
    elif args.peer == "augment-dataset":
        dataset, init = augment_dataset(args.data, args.size), None
    else:
        dataset, init = AlbumentationsFolder(args.data, args.size), no_opencv_threads
        if args.workers == 0:
            no_opencv_threads(0)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=args.batch,
        shuffle=True,
        num_workers=args.workers,
        prefetch_factor=2 if args.workers else None,
        worker_init_fn=init,
    )
    start = time.perf_counter()
    n = 0
    for _epoch in range(args.epochs):
        for images, _labels in loader:
            assert images.dtype == torch.float32 and images.shape[1:] == (3, args.size, args.size)
            n += images.shape[0]
    seconds = time.perf_counter() - start
    print(f"{args.peer} workers={args.workers}: {n} images in {seconds:.2f} s: {n / seconds:.1f} images/s")


if __name__ == "__main__":
    main()
