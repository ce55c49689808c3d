import pytest
import torch
from torchvision.ops import deform_conv2d

from stdpose_mm.models.utils import ModulatedDeformConv2d


@pytest.mark.parametrize('dilation,groups', [(1, 1), (3, 4), (6, 8)])
def test_equals_torchvision_forward_and_backward(dilation, groups):
    torch.manual_seed(0)
    conv = ModulatedDeformConv2d(16, 8, kernel_size=3, dilation=dilation,
                                 deform_groups=groups)
    x = torch.randn(2, 16, 12, 9, requires_grad=True)
    # Large offsets reach outside the map, where both must read zeros.
    offsets = (torch.randn(2, conv.offset_channels, 12, 9) * 4).requires_grad_()
    modulation = torch.rand(2, conv.mask_channels, 12, 9, requires_grad=True)
    ours = conv(x, offsets, modulation)
    reference = deform_conv2d(x, offsets, conv.weight, conv.bias, padding=(conv.padding, ) * 2,
                              dilation=(dilation, dilation), mask=modulation)
    torch.testing.assert_close(ours, reference, atol=1e-4, rtol=1e-4)
    grad_out = torch.randn_like(ours)
    inputs = (x, offsets, modulation, conv.weight, conv.bias)
    ours_grads = torch.autograd.grad(ours, inputs, grad_out)
    reference_grads = torch.autograd.grad(reference, inputs, grad_out)
    for ours_grad, reference_grad in zip(ours_grads, reference_grads):
        torch.testing.assert_close(ours_grad, reference_grad, atol=2e-3, rtol=1e-3)


def test_zero_offsets_full_mask_is_a_dilated_conv():
    torch.manual_seed(0)
    conv = ModulatedDeformConv2d(4, 3, kernel_size=3, dilation=2)
    x = torch.randn(1, 4, 7, 7)
    out = conv(x, torch.zeros(1, conv.offset_channels, 7, 7), torch.ones(1, 9, 7, 7))
    expected = torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding=2, dilation=2)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
